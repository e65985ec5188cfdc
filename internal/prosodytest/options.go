package prosodytest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// NoGrace is the DownGrace that makes mod_ampd apply its when_down at once while ampd is away.
const NoGrace time.Duration = -1

// Options configures a sandbox server. Zero fields take the defaults shown.
type Options struct {
	// Dir holds the configuration, data and log (required; e.g. t.TempDir()).
	Dir string
	// Host is the virtual host (default "localhost").
	Host string
	// ComponentDomain is the domain of ampd's component (default "amp." + Host).
	ComponentDomain string
	// ComponentSecret is the component's shared secret (default: random).
	ComponentSecret string
	// C2SPort, ComponentPort and S2SPort are loopback ports; 0 picks a free one.
	C2SPort, ComponentPort, S2SPort int
	// ModuleDir is the directory holding mod_ampd.lua (default
	// contrib/prosody of the repository).
	ModuleDir string
	// ExtraPluginPaths are more directories of Prosody modules (e.g. test-only ones).
	ExtraPluginPaths []string
	// ExtraHostConfig is appended to the VirtualHost section, ExtraGlobalConfig
	// to the global section (Lua, as Prosody's config file takes it).
	ExtraHostConfig   string
	ExtraGlobalConfig string
	// Users are the accounts to register at start (name → password).
	Users map[string]string
	// WithoutOffline disables mod_offline on the host (it is loaded by
	// default), so that diverts report offline='none'.
	WithoutOffline bool
	// WithoutAmpd leaves mod_ampd out (a plain Prosody with the component).
	WithoutAmpd bool
	// KeepOldComponentConnection leaves Prosody's default component_conflict_resolve
	// (kick_new) instead of the "kick_old" the module's README asks for.
	KeepOldComponentConnection bool
	// PrivilegedMessage also grants the component message = "outgoing"
	// (XEP-0356 privileged sending), which ampd itself does not need.
	PrivilegedMessage bool
	// WhenDown is mod_ampd's ampd_when_down: "bounce" (default) or "pass".
	WhenDown string
	// DownGrace is mod_ampd's ampd_down_grace, how long requests are kept while
	// ampd is away, in whole seconds: 0 leaves the module's default (20 s),
	// NoGrace (or any negative value) writes 0, so that when_down applies at once.
	DownGrace time.Duration
	// MaxPending is ampd_max_pending (0: the module's default, 10000).
	MaxPending int
	// PendingTimeout is ampd_pending_timeout, in whole seconds (0: the
	// module's default, 60 s).
	PendingTimeout time.Duration
	// ReinjectedMax is ampd_reinjected_max, how many re-inject keys are
	// remembered (0: the module's default, 10000).
	ReinjectedMax int
	// ReinjectedMaxAge is ampd_reinjected_max_age, how long a re-inject key
	// is remembered, in whole seconds (0: the module's default, 24 h).
	ReinjectedMaxAge time.Duration
	// LogLevel is the lowest level written to the log file (default "debug").
	LogLevel string
	// Root is the system whose Prosody runs: "" for the host's, else a root directory such
	// as serverkind.TrixieRoot() (Prosody 13), where the server runs with chroot and Dir,
	// ModuleDir and ExtraPluginPaths are bound at their own paths.
	Root string
}

// withDefaults returns o with its zero fields filled in, ports excepted.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("prosodytest: Options.Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("prosodytest: %w", err)
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
			return o, fmt.Errorf("prosodytest: %w", err)
		}
		o.ComponentSecret = hex.EncodeToString(b[:])
	}
	if o.ModuleDir == "" {
		root, err := RepoRoot()
		if err != nil {
			return o, err
		}
		o.ModuleDir = filepath.Join(root, "contrib", "prosody")
	}
	if o.ModuleDir, err = filepath.Abs(o.ModuleDir); err != nil {
		return o, fmt.Errorf("prosodytest: %w", err)
	}
	switch o.WhenDown {
	case "", "bounce", "pass":
	default:
		return o, fmt.Errorf("prosodytest: WhenDown must be \"bounce\" or \"pass\", not %q", o.WhenDown)
	}
	for i, p := range o.ExtraPluginPaths {
		if o.ExtraPluginPaths[i], err = filepath.Abs(p); err != nil {
			return o, fmt.Errorf("prosodytest: %w", err)
		}
	}
	if o.LogLevel == "" {
		o.LogLevel = "debug"
	}
	return o, nil
}
