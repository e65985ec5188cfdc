package ejabberdtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// NoGrace is the DownGrace that makes mod_ampd apply its when_down at once while ampd is away.
const NoGrace time.Duration = -1

// Options configures a sandbox server. Zero fields take the defaults shown.
// The names are those of prosodytest.Options, so that one suite can run
// against both servers.
type Options struct {
	// Dir holds the configuration, spool, logs and compiled module
	// (required; e.g. t.TempDir()). When running as root its ancestors
	// below the system temporary directory are made searchable (o+x) for
	// the ejabberd user, which the node runs as.
	Dir string
	// Host is the virtual host (default "localhost").
	Host string
	// ComponentDomain is the domain of ampd's component (default "amp." + Host).
	ComponentDomain string
	// ComponentSecret is the component's shared secret (default: random).
	ComponentSecret string
	// C2SPort, ComponentPort and S2SPort are loopback ports; 0 picks a free
	// one. The s2s listener exists, but s2s is denied (s2s_access: none)
	// unless ExtraGlobalConfig sets s2s_access (S2SConfig does). ejabberd resolves s2s
	// peers with the system's getaddrinfo, so sandboxes that talk s2s must
	// be named "localhost" or by an IP literal such as "127.0.0.1"; any
	// other name would be looked up in DNS.
	C2SPort, ComponentPort, S2SPort int
	// ModuleDir is the module's source tree: mod_ampd.spec, README.txt,
	// COPYING and src/mod_ampd.erl (default contrib/ejabberd of the
	// repository).
	ModuleDir string
	// ExtraHostConfig is added to host_config for Host (YAML keys at the
	// level of that host's options, unindented); ExtraGlobalConfig is
	// appended to ejabberd.yml at the top level.
	ExtraHostConfig   string
	ExtraGlobalConfig string
	// Users are the accounts to register at start (name → password).
	Users map[string]string
	// WithoutOffline leaves mod_offline out, so that diverts report
	// offline='none'.
	WithoutOffline bool
	// WithoutAmpd leaves mod_ampd out (a plain ejabberd with the component).
	WithoutAmpd bool
	// WhenDown is mod_ampd's when_down: "bounce" (default) or "pass".
	WhenDown string
	// DownGrace is mod_ampd's down_grace, how long requests are kept while
	// ampd is away, in whole seconds: 0 leaves the module's default (20 s),
	// NoGrace (or any negative value) writes 0, so that when_down applies at once.
	DownGrace time.Duration
	// MaxPending is max_pending (0: the module's default, 10000).
	MaxPending int
	// PendingTimeout is pending_timeout, in whole seconds (0: the module's
	// default, 60 s; anything else at least 1 s).
	PendingTimeout time.Duration
	// ReinjectedMax is reinjected_max, how many re-inject keys are
	// remembered (0: the module's default, 10000).
	ReinjectedMax int
	// ReinjectedMaxAge is reinjected_max_age, how long a re-inject key is
	// remembered, in whole seconds (0: the module's default, 24 h; anything
	// else at least 1 s).
	ReinjectedMaxAge time.Duration
	// LogLevel is ejabberd's loglevel (default "info"; "debug" logs every
	// stanza).
	LogLevel string
	// ModuleInstall loads mod_ampd the way contrib/ejabberd/README.md
	// describes for an offline install: the sources are laid out under
	// CONTRIB_MODULES_PATH/sources and Start runs "ejabberdctl
	// module_install mod_ampd" once the node is up. Otherwise Start
	// compiles the module with erlc and the node finds it through "-pa" in
	// ERL_OPTIONS.
	ModuleInstall bool
	// ErlOptions are extra flags for the Erlang emulator, appended to
	// ERL_OPTIONS (e.g. "+sbwt none" so that idle schedulers do not spin
	// and the node's CPU time is its work). ejabberdctl sources its
	// configuration with sh, so quotes, '$', '`', '\' and newlines are
	// refused.
	ErlOptions string
	// Root is the system whose ejabberd runs: "" for the host's, else a root directory such
	// as serverkind.TrixieRoot() (ejabberd 24.12), where ejabberdctl, erlc and the node run
	// with chroot and Dir and ModuleDir are bound at their own paths.
	Root string
	// DistAddr, DistPort and Cookie make the node a possible member of a cluster
	// (StartCluster): its Erlang node is ampdDISTPORT@DISTADDR (long names) listening on
	// DistAddr:DistPort, and Cookie is the cluster's shared Erlang cookie. ejabberdctl's
	// ERL_DIST_PORT makes a node look for every peer at that one port (no epmd), so the nodes
	// of a cluster share DistPort on distinct loopback addresses. Zero values: a standalone
	// node, ampdDISTPORT@localhost on 127.0.0.1, a free port and a random cookie.
	DistAddr string
	DistPort int
	Cookie   string
}

// withDefaults returns o with its zero fields filled in, ports excepted.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("ejabberdtest: Options.Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("ejabberdtest: %w", err)
	}
	o.Dir = dir
	if o.Host == "" {
		o.Host = "localhost"
	}
	if o.ComponentDomain == "" {
		o.ComponentDomain = "amp." + o.Host
	}
	if o.ComponentSecret == "" {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return o, fmt.Errorf("ejabberdtest: %w", err)
		}
		o.ComponentSecret = hex.EncodeToString(b[:])
	}
	if o.ModuleDir == "" {
		root, err := RepoRoot()
		if err != nil {
			return o, err
		}
		o.ModuleDir = filepath.Join(root, "contrib", "ejabberd")
	}
	if o.ModuleDir, err = filepath.Abs(o.ModuleDir); err != nil {
		return o, fmt.Errorf("ejabberdtest: %w", err)
	}
	switch o.WhenDown {
	case "":
		o.WhenDown = "bounce"
	case "bounce", "pass":
	default:
		return o, fmt.Errorf("ejabberdtest: WhenDown must be \"bounce\" or \"pass\", not %q", o.WhenDown)
	}
	if o.DownGrace == 0 {
		o.DownGrace = 20 * time.Second
	}
	if o.MaxPending == 0 {
		o.MaxPending = 10000
	}
	switch {
	case o.PendingTimeout == 0:
		o.PendingTimeout = 60 * time.Second
	case o.PendingTimeout < time.Second:
		o.PendingTimeout = time.Second
	}
	if o.ReinjectedMax == 0 {
		o.ReinjectedMax = 10000
	}
	switch {
	case o.ReinjectedMaxAge == 0:
		o.ReinjectedMaxAge = 24 * time.Hour
	case o.ReinjectedMaxAge < time.Second:
		o.ReinjectedMaxAge = time.Second
	}
	if strings.ContainsAny(o.ErlOptions, "\"'$`\\\n") {
		return o, fmt.Errorf("ejabberdtest: ErlOptions %q: no quotes, '$', '`', '\\' or newlines", o.ErlOptions)
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.Cookie == "" {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return o, fmt.Errorf("ejabberdtest: %w", err)
		}
		o.Cookie = hex.EncodeToString(b[:])
	}
	return o, nil
}
