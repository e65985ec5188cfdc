package prosodytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
)

// stopTimeout bounds how long Stop waits for Prosody to exit after SIGTERM
// before it kills the process.
const stopTimeout = 15 * time.Second

// startTimeout bounds Start when ctx has no deadline.
const startTimeout = 60 * time.Second

// Server is one running sandbox Prosody.
type Server struct {
	// Host is the virtual host; ComponentDomain and Secret are ampd's
	// component domain and shared secret.
	Host, ComponentDomain, Secret string
	// C2SAddr, ComponentAddr and S2SAddr are the loopback host:port of the
	// client, component and server-to-server listeners.
	C2SAddr, ComponentAddr, S2SAddr string
	// Dir holds everything; ConfigPath is the configuration file and
	// LogPath Prosody's log.
	Dir, ConfigPath, LogPath string

	opts   Options
	output string // where Prosody's stdout and stderr go

	mu   sync.Mutex
	cmd  *exec.Cmd
	done <-chan struct{} // closed when cmd has exited
}

type sandboxPaths struct {
	config, data, log, pid, output, socket string
}

func pathsIn(dir string) sandboxPaths {
	return sandboxPaths{
		config: filepath.Join(dir, "prosody.cfg.lua"),
		data:   filepath.Join(dir, "data"),
		log:    filepath.Join(dir, "prosody.log"),
		pid:    filepath.Join(dir, "prosody.pid"),
		output: filepath.Join(dir, "prosody.out"),
		socket: filepath.Join(dir, "prosody.sock"),
	}
}

// Start writes the configuration for o into o.Dir, registers o.Users, starts
// `prosody -F --config FILE` and waits until the c2s and component ports
// accept connections. The server runs until Stop, independently of ctx,
// which bounds only the start.
func Start(ctx context.Context, o Options) (*Server, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if !InstalledIn(o.Root) {
		if o.Root != "" {
			return nil, fmt.Errorf("prosodytest: prosody or mod_privilege is not installed in %s (see scripts/install-trixie.sh)", o.Root)
		}
		return nil, errors.New("prosodytest: prosody or mod_privilege is not installed (see scripts/install-prosody.sh)")
	}
	if !o.WithoutAmpd {
		if _, err := os.Stat(filepath.Join(o.ModuleDir, "mod_ampd.lua")); err != nil {
			return nil, fmt.Errorf("prosodytest: mod_ampd.lua: %w", err)
		}
	}
	ports := []*int{&o.C2SPort, &o.ComponentPort, &o.S2SPort}
	for _, p := range ports {
		if *p == 0 {
			if *p, err = sandboxproc.FreePort(); err != nil {
				return nil, err
			}
		}
	}
	paths := pathsIn(o.Dir)
	if err := os.MkdirAll(paths.data, 0o755); err != nil {
		return nil, fmt.Errorf("prosodytest: %w", err)
	}
	cfg := configFile(o, o.C2SPort, o.ComponentPort, o.S2SPort, paths)
	if err := os.WriteFile(paths.config, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("prosodytest: %w", err)
	}
	s := &Server{
		Host:            o.Host,
		ComponentDomain: o.ComponentDomain,
		Secret:          o.ComponentSecret,
		C2SAddr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(o.C2SPort)),
		ComponentAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(o.ComponentPort)),
		S2SAddr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(o.S2SPort)),
		Dir:             o.Dir,
		ConfigPath:      paths.config,
		LogPath:         paths.log,
		opts:            o,
		output:          paths.output,
	}
	for user, pass := range o.Users {
		if err := s.Register(user, pass); err != nil {
			return nil, err
		}
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// start runs the process and waits for its listeners.
func (s *Server) start(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	cmd := s.command(context.Background(), "prosody", "-F", "--config", s.ConfigPath)
	// Its own process group, so a terminal's ^C reaches the test binary only.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	done, err := sandboxproc.Launch(cmd, s.output)
	if err != nil {
		return fmt.Errorf("prosodytest: start prosody: %w", err)
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	if err := sandboxproc.WaitListening(ctx, done, s.C2SAddr, s.ComponentAddr); err != nil {
		_ = s.Stop()
		return fmt.Errorf("prosodytest: prosody did not come up: %w\n%s", err, s.LogTail(30))
	}
	return nil
}

// Stop ends Prosody with SIGTERM and waits for it to exit; after stopTimeout
// it is killed. Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		select {
		case <-done:
			return nil
		default:
		}
		return fmt.Errorf("prosodytest: stop: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = cmd.Process.Kill()
	<-done
	return errors.New("prosodytest: prosody did not exit after SIGTERM and was killed")
}

// Restart stops Prosody and starts it again with the same configuration,
// ports and data (registered users stay).
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start(ctx)
}

// PID returns the process id of the running Prosody, 0 when it is stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	select {
	case <-s.done:
		return 0
	default:
	}
	return s.cmd.Process.Pid
}

// Register creates (or resets the password of) the account user@Host with
// prosodyctl; the server may be running or stopped.
func (s *Server) Register(user, pass string) error {
	return s.prosodyctl("register", user, s.Host, pass)
}

// Deregister deletes the account user@Host with prosodyctl.
func (s *Server) Deregister(user string) error {
	return s.prosodyctl("deluser", user+"@"+s.Host)
}

func (s *Server) prosodyctl(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.command(ctx, "prosodyctl", append([]string{"--config", s.ConfigPath}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("prosodytest: prosodyctl %s: %w: %s", args[0], err, bytes.TrimSpace(out))
	}
	return nil
}

// command runs a Prosody tool in the sandbox's directory, on the host or inside o.Root
// (where the command's own process is the tool's: unshare, sh and chroot exec it).
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	binds := append([]string{s.Dir, s.opts.ModuleDir}, s.opts.ExtraPluginPaths...)
	cmd := serverkind.Command(ctx, s.opts.Root, binds, name, args...)
	cmd.Dir = s.Dir
	return cmd
}

// LogTail returns the last n lines of Prosody's log followed by the last n
// lines of what the process printed, for failure messages.
func (s *Server) LogTail(n int) string {
	return "--- " + s.LogPath + "\n" + sandboxproc.Tail(s.LogPath, n) + "--- prosody output\n" + sandboxproc.Tail(s.output, n)
}
