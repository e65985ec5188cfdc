// Package testserver starts any server of the test matrix (internal/serverkind) behind one
// type: the integration suite, `make run` (internal/sandbox) and cmd/ampbench use it, so that
// a new server version is added in one place. The family harnesses (internal/prosodytest,
// internal/ejabberdtest) do the work.
package testserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ampd-xmpp/ampd/internal/ejabberdtest"
	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
)

// Options are what a caller may ask of any server. Zero fields take the harnesses'
// defaults.
type Options struct {
	// Dir holds the server's configuration, data and logs (required).
	Dir string
	// Host is the virtual host (default "localhost").
	Host string
	// C2SPort, ComponentPort and S2SPort are loopback ports; 0 picks a free one.
	C2SPort, ComponentPort, S2SPort int
	// Users are the accounts to create at start (name → password).
	Users map[string]string
	// WithoutOffline leaves offline storage out; WithoutAmpd leaves the server module out.
	WithoutOffline, WithoutAmpd bool
	// MaxPending is the module's bound on diverts awaiting a verdict (0: its default).
	MaxPending int
	// PendingTimeout is how long the module waits for a verdict, DownGrace how long it keeps
	// requests while ampd is away (whole seconds; 0: the module's defaults, 60 s and 20 s).
	PendingTimeout, DownGrace time.Duration
	// LogLevel is the server's log level: "debug", "info" or "error" ("": the harness's).
	LogLevel string
	// ErlOptions are extra Erlang emulator flags (ejabberd only; ignored by Prosody).
	ErlOptions string
	// Prosody only (Start refuses them for ejabberd): more plugin directories, and Lua
	// appended to the global and host sections.
	ProsodyPluginPaths                     []string
	ProsodyGlobalConfig, ProsodyHostConfig string
	// EjabberdGlobalConfig is YAML appended to ejabberd.yml (ejabberd only: Start refuses it for
	// Prosody), e.g. ejabberdtest.S2SConfig to federate with another sandbox.
	EjabberdGlobalConfig string
}

// Server is a running sandbox server of any kind.
type Server struct {
	Kind serverkind.Kind
	// Host is the virtual host; ComponentDomain and Secret are ampd's component.
	Host, ComponentDomain, Secret string
	// C2SAddr, ComponentAddr and S2SAddr are the loopback listeners.
	C2SAddr, ComponentAddr, S2SAddr string
	// LogPath is the server's log file.
	LogPath string

	harness harness
	// clearOffline empties offline storage (ejabberd; nil where it is not needed).
	clearOffline func() error
}

// harness is what both family harnesses' servers offer.
type harness interface {
	Register(user, pass string) error
	Deregister(user string) error
	Restart(ctx context.Context) error
	Stop() error
	PID() int
	LogTail(n int) string
}

// Register creates the account user@Host.
func (s *Server) Register(user, pass string) error { return s.harness.Register(user, pass) }

// Deregister deletes the account user@Host.
func (s *Server) Deregister(user string) error { return s.harness.Deregister(user) }

// Restart stops the server and starts it again with the same configuration and data.
func (s *Server) Restart(ctx context.Context) error { return s.harness.Restart(ctx) }

// Stop stops the server; stopping a stopped server is a no-op.
func (s *Server) Stop() error { return s.harness.Stop() }

// PID is the process whose CPU is the server's (Prosody's Lua process, ejabberd's VM), 0
// when it is stopped.
func (s *Server) PID() int { return s.harness.PID() }

// LogTail returns the end of the server's logs, for failure messages.
func (s *Server) LogTail(n int) string { return s.harness.LogTail(n) }

// ClearOffline empties offline storage where storing costs more the fuller it is
// (ejabberd's Mnesia mod_offline); a no-op elsewhere.
func (s *Server) ClearOffline() error {
	if s.clearOffline == nil {
		return nil
	}
	return s.clearOffline()
}

// Installed reports whether k's server is installed.
func Installed(k serverkind.Kind) bool {
	switch {
	case k.Trixie:
		return serverkind.TrixieReady()
	case k.Family == serverkind.Prosody:
		return prosodytest.Installed()
	default:
		return ejabberdtest.Installed()
	}
}

// EnsureInstalled installs k's server when it is missing (scripts/install-*.sh; needs root),
// writing the installer's output to log.
func EnsureInstalled(ctx context.Context, k serverkind.Kind, log io.Writer) error {
	switch {
	case k.Trixie:
		return serverkind.EnsureTrixie(ctx, log)
	case k.Family == serverkind.Prosody:
		return prosodytest.EnsureInstalled(ctx, log)
	default:
		return ejabberdtest.EnsureInstalled(ctx, log)
	}
}

// InstallScript names the script that installs k's server.
func InstallScript(k serverkind.Kind) string {
	if k.Trixie {
		return "scripts/install-trixie.sh"
	}
	return "scripts/install-" + k.Family + ".sh"
}

// Start starts k's server with its module (unless WithoutAmpd) and the accounts of o. It
// installs nothing: see EnsureInstalled.
func Start(ctx context.Context, k serverkind.Kind, o Options) (*Server, error) {
	if k.Family == serverkind.Prosody {
		if o.EjabberdGlobalConfig != "" {
			return nil, errors.New("testserver: ejabberd configuration given for " + k.Title)
		}
		s, err := prosodytest.Start(ctx, prosodytest.Options{
			Dir: o.Dir, Host: o.Host, C2SPort: o.C2SPort, ComponentPort: o.ComponentPort, S2SPort: o.S2SPort,
			Users: o.Users, WithoutOffline: o.WithoutOffline, WithoutAmpd: o.WithoutAmpd,
			MaxPending: o.MaxPending, PendingTimeout: o.PendingTimeout, DownGrace: o.DownGrace, LogLevel: o.LogLevel, Root: k.Root(),
			ExtraPluginPaths: o.ProsodyPluginPaths, ExtraGlobalConfig: o.ProsodyGlobalConfig, ExtraHostConfig: o.ProsodyHostConfig,
		})
		if err != nil {
			return nil, fmt.Errorf("starting %s: %w", k.Title, err)
		}
		return &Server{Kind: k, Host: s.Host, ComponentDomain: s.ComponentDomain, Secret: s.Secret,
			C2SAddr: s.C2SAddr, ComponentAddr: s.ComponentAddr, S2SAddr: s.S2SAddr, LogPath: s.LogPath, harness: s}, nil
	}
	if len(o.ProsodyPluginPaths) > 0 || o.ProsodyGlobalConfig != "" || o.ProsodyHostConfig != "" {
		return nil, errors.New("testserver: Prosody plugin paths and Lua configuration given for " + k.Title)
	}
	s, err := ejabberdtest.Start(ctx, ejabberdOptions(k, o))
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", k.Title, err)
	}
	return ejabberdServer(k, s), nil
}

func ejabberdOptions(k serverkind.Kind, o Options) ejabberdtest.Options {
	return ejabberdtest.Options{
		Dir: o.Dir, Host: o.Host, C2SPort: o.C2SPort, ComponentPort: o.ComponentPort, S2SPort: o.S2SPort,
		Users: o.Users, WithoutOffline: o.WithoutOffline, WithoutAmpd: o.WithoutAmpd,
		MaxPending: o.MaxPending, PendingTimeout: o.PendingTimeout, DownGrace: o.DownGrace, LogLevel: o.LogLevel, ErlOptions: o.ErlOptions, Root: k.Root(),
		ExtraGlobalConfig: o.EjabberdGlobalConfig,
	}
}

func ejabberdServer(k serverkind.Kind, s *ejabberdtest.Server) *Server {
	return &Server{Kind: k, Host: s.Host, ComponentDomain: s.ComponentDomain, Secret: s.Secret,
		C2SAddr: s.C2SAddr, ComponentAddr: s.ComponentAddr, S2SAddr: s.S2SAddr, LogPath: s.LogPath,
		harness: s, clearOffline: s.DeleteOfflineMessages}
}

// String names the server and its process: "Prosody 13 (pid 1234)".
func (s *Server) String() string { return fmt.Sprintf("%s (pid %d)", s.Kind.Title, s.PID()) }
