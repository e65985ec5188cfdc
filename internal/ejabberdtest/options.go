package ejabberdtest

import "time"

// Options configures a sandbox server. Zero fields take the defaults shown.
type Options struct {
	// Domain is the virtual host (default "localhost").
	Domain string
	// Component is the domain of ampd's component (default "amp.localhost").
	Component string
	// ComponentSecret is the component's shared secret (default "secret").
	ComponentSecret string
	// Users are the accounts to register before the test runs (name → password).
	Users map[string]string

	// WhenDown is mod_ampd's when_down option: "bounce" (default) or "pass".
	WhenDown string
	// MaxPending is mod_ampd's max_pending option (default 10000).
	MaxPending int
	// PendingTimeout is mod_ampd's pending_timeout option (default 60 s,
	// rounded down to whole seconds, at least 1 s).
	PendingTimeout time.Duration
	// WithoutOffline leaves mod_offline out of the configuration, so that
	// diverts report offline='none'.
	WithoutOffline bool
	// WithoutAmpd leaves mod_ampd out of the configuration.
	WithoutAmpd bool
	// ModuleInstall loads mod_ampd the way contrib/ejabberd/README.md
	// describes for an offline install: its sources are put under
	// CONTRIB_MODULES_PATH/sources and Start runs "ejabberdctl
	// module_install mod_ampd" once the node is up. Otherwise the module is
	// compiled by Start and found through "-pa" in ERL_OPTIONS.
	ModuleInstall bool
}

func (o Options) withDefaults() Options {
	if o.Domain == "" {
		o.Domain = "localhost"
	}
	if o.Component == "" {
		o.Component = "amp.localhost"
	}
	if o.ComponentSecret == "" {
		o.ComponentSecret = "secret"
	}
	if o.WhenDown == "" {
		o.WhenDown = "bounce"
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
	return o
}
