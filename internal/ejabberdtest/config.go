package ejabberdtest

import (
	"fmt"
	"strings"
)

// ports are the loopback ports of one sandbox.
type ports struct {
	c2s, component, dist int
}

// ejabberdctlConfig is read by ejabberdctl from --config-dir. The pid path
// must be writable by the ejabberd user, or the node exits at start.
func ejabberdctlConfig(dir string, p ports) string {
	return fmt.Sprintf(`ERLANG_NODE=ampd%d@localhost
INET_DIST_INTERFACE=127.0.0.1
ERL_DIST_PORT=%d
EJABBERD_PID_PATH=%s/ejabberd.pid
CONTRIB_MODULES_PATH=%s/contrib
EJABBERD_BYPASS_WARNINGS=true
ERL_OPTIONS="-pa %s/ebin"
`, p.dist, p.dist, dir, dir, dir)
}

// ejabberdConfig is the sandbox's ejabberd.yml: loopback listeners, no
// TLS, no s2s, mod_privilege for the component, mod_ampd.
func ejabberdConfig(o Options, p ports) string {
	var b strings.Builder
	fmt.Fprintf(&b, `hosts:
  - %q
loglevel: info
log_rotate_count: 0
acme:
  auto: false
auth_method: internal
auth_password_format: plain
s2s_access: none
listen:
  -
    port: %d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    access: all
    starttls: false
    starttls_required: false
  -
    port: %d
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      %q:
        password: %q
acl:
  local:
    user_regexp: ""
  ampd_component:
    server: %q
access_rules:
  local:
    allow: local
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_roster: {}
  mod_disco: {}
  mod_carboncopy: {}
  mod_privilege:
    roster:
      get: ampd_component
    presence:
      managed_entity: ampd_component
`, o.Domain, p.c2s, p.component, o.Component, o.ComponentSecret, o.Component)
	if !o.WithoutOffline {
		b.WriteString("  mod_offline: {}\n")
	}
	if !o.WithoutAmpd && !o.ModuleInstall {
		b.WriteString(ampdModuleConfig(o))
	}
	return b.String()
}

// ampdModuleConfig is mod_ampd's entry under modules:.
func ampdModuleConfig(o Options) string {
	return fmt.Sprintf(`  mod_ampd:
    component: %q
    when_down: %s
    max_pending: %d
    pending_timeout: %d
`, o.Component, o.WhenDown, o.MaxPending, int(o.PendingTimeout.Seconds()))
}
