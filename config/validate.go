package config

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmpp/jid"
)

// validate checks every rule and reports all violations at once, one line each, so that a
// broken file is fixed in one go. It normalises the JIDs and domains it checks.
func (c *Config) validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	c.Component.validate(add)
	c.Server.validate(add, c.Component.Domain)
	c.AMP.validate(add)
	c.Privacy.validate(add)
	c.Store.validate(add)
	if c.HTTP.Listen != "" {
		add(hostPort("http.listen", c.HTTP.Listen, "127.0.0.1:9479", true))
	}
	add(oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error"))
	add(oneOf("log.format", c.Log.Format, "text", "json"))
	return errors.Join(errs...)
}

func (c *Component) validate(add func(error)) {
	switch {
	case c.Address != "" && len(c.Addresses) > 0 && c.Address != c.Addresses[0]: // (validation sets Address to the first)
		add(errors.New("config: component.address and component.addresses are both set; keep component.addresses (every node of the cluster) or component.address (one server)"))
	case len(c.Addresses) > 0:
		for i, a := range c.Addresses {
			add(hostPort(fmt.Sprintf("component.addresses[%d]", i), a, "127.0.0.1:5347", false))
		}
		c.Address = c.Addresses[0]
	case c.Address == "":
		add(errors.New(`config: component.address is required; set it to the server's component port, e.g. "127.0.0.1:5347" (or component.addresses to the component ports of every node of an ejabberd cluster)`))
	default:
		add(hostPort("component.address", c.Address, "127.0.0.1:5347", false))
	}
	if c.Domain == "" {
		add(errors.New(`config: component.domain is required; set it to the component's domain as configured in the XMPP server, e.g. "amp.localhost"`))
	} else {
		d, err := domain("component.domain", c.Domain)
		add(err)
		c.Domain = d
	}
	switch {
	case c.Secret == "" && c.SecretFile == "":
		add(errors.New("config: component.secret is required; set it, or component.secret_file, to the component's shared secret"))
	case c.Secret != "" && c.SecretFile != "":
		add(errors.New("config: component.secret and component.secret_file are both set; keep exactly one of them"))
	}
	if c.MaxStanzaBytes < MinStanzaBytes || c.MaxStanzaBytes > MaxStanzaBytes {
		add(fmt.Errorf("config: component.max_stanza_bytes: %d is out of range; set it between %d and %d", c.MaxStanzaBytes, MinStanzaBytes, MaxStanzaBytes))
	}
	if c.Keepalive < 0 {
		add(errors.New(`config: component.keepalive: must not be negative; use "0s" to disable keepalives`))
	}
	add(positive("component.dial_timeout", c.DialTimeout))
	add(positive("component.handshake_timeout", c.HandshakeTimeout))
	add(positive("component.reconnect_min", c.ReconnectMin))
	if c.ReconnectMax < c.ReconnectMin {
		add(fmt.Errorf("config: component.reconnect_max: %s is shorter than component.reconnect_min (%s); make it at least as long", c.ReconnectMax, c.ReconnectMin))
	}
	if c.MaxQueued < 0 {
		add(errors.New("config: component.max_queued: must not be negative; use 0 to queue nothing while disconnected"))
	}
}

func (s *Server) validate(add func(error), componentDomain string) {
	if len(s.Hosts) == 0 {
		add(errors.New(`config: server.hosts is required; list the XMPP hosts whose server module diverts to ampd, e.g. ["localhost"]`))
	}
	for i, h := range s.Hosts {
		d, err := domain("server.hosts", h)
		add(err)
		s.Hosts[i] = d
		if err == nil && d == componentDomain {
			add(fmt.Errorf("config: server.hosts: %q is component.domain; list the XMPP hosts, not the component", h))
		}
	}
	add(duplicates("server.hosts", s.Hosts))
	add(oneOf("server.reply_from", s.ReplyFrom, ReplyFromServer, ReplyFromComponent))
}

func (a *AMP) validate(add func(error)) {
	a.validateNames(add)
	if len(a.Actions) == 0 {
		add(errors.New("config: amp.actions is empty; enable at least one action, or remove the key for all of them"))
	}
	if len(a.Conditions) == 0 {
		add(errors.New("config: amp.conditions is empty; enable at least one condition, or remove the key for all of them"))
	}
	for i, g := range a.Gateways {
		d, err := domain("amp.gateways", g)
		add(err)
		a.Gateways[i] = d
	}
	add(duplicates("amp.gateways", a.Gateways))
	for i, f := range a.Forwarded {
		b, err := bareJID("amp.forwarded", f)
		add(err)
		a.Forwarded[i] = b
	}
	add(duplicates("amp.forwarded", a.Forwarded))
	add(oneOf("amp.remote_unsupported", a.RemoteUnsupported, RemoteError, RemoteStrip, RemotePass))
	if a.RemoteCacheTTL < 0 {
		add(errors.New(`config: amp.remote_cache_ttl: must not be negative; use "0s" to ask the remote server every time`))
	}
	if a.RemoteNegativeTTL < 0 {
		add(errors.New(`config: amp.remote_negative_ttl: must not be negative; use "0s" to ask again every time`))
	}
	add(positive("amp.remote_timeout", a.RemoteTimeout))
}

func (p *Privacy) validate(add func(error)) {
	add(oneOf("privacy.presence_policy", p.PresencePolicy, PolicyRoster, PolicySameDomain, PolicyOff))
	if p.RosterCacheTTL < 0 {
		add(errors.New(`config: privacy.roster_cache_ttl: must not be negative; use "0s" to disable the roster cache`))
	}
	if p.RosterCacheSize < 1 {
		add(fmt.Errorf("config: privacy.roster_cache_size: %d is too small; set it to at least 1", p.RosterCacheSize))
	}
}

// names checks a list of enabled names against the known ones.
func names(key, what string, list, known []string) error {
	var errs []error
	for _, n := range list {
		if !slices.Contains(known, n) {
			errs = append(errs, fmt.Errorf("config: %s: unknown %s %q; valid ones are %s", key, what, n, quoteAll(known)))
		}
	}
	errs = append(errs, duplicates(key, list))
	return errors.Join(errs...)
}

func duplicates(key string, list []string) error {
	seen := make(map[string]bool, len(list))
	var errs []error
	for _, s := range list {
		if seen[s] {
			errs = append(errs, fmt.Errorf("config: %s: %q is listed twice; list each entry once", key, s))
		}
		seen[s] = true
	}
	return errors.Join(errs...)
}

func oneOf(key, value string, valid ...string) error {
	if slices.Contains(valid, value) {
		return nil
	}
	return fmt.Errorf("config: %s: %q is not valid; use one of %s", key, value, quoteAll(valid))
}

func nonEmpty(key, value, what string) error {
	if value != "" {
		return nil
	}
	return fmt.Errorf("config: %s must not be empty; set it to %s", key, what)
}

func positive(key string, d time.Duration) error {
	if d > 0 {
		return nil
	}
	return fmt.Errorf("config: %s: must be positive, e.g. \"10s\"", key)
}

// hostPort checks a TCP address; port 0 (any free port) is allowed only where ampd listens.
func hostPort(key, addr, example string, listen bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("config: %s: %q is not host:port; write it like %q", key, addr, example)
	}
	n, err := strconv.Atoi(port)
	lowest := 1
	if listen {
		lowest = 0
	}
	if err != nil || n < lowest || n > 65535 {
		return fmt.Errorf("config: %s: port %q is not valid; use a number from %d to 65535", key, port, lowest)
	}
	if host == "" && !listen {
		return fmt.Errorf("config: %s: %q has no host; name the XMPP server's host, e.g. \"127.0.0.1:5347\"", key, addr)
	}
	return nil
}

// domain checks a domain JID and returns its normalised form.
func domain(key, s string) (string, error) {
	j, err := jid.Parse(s)
	if err != nil || j.Localpart() != "" || j.Resourcepart() != "" {
		return s, fmt.Errorf("config: %s: %q is not a valid domain; write a bare domain such as \"example.org\"", key, s)
	}
	return j.Domainpart(), nil
}

// bareJID checks a bare JID and returns its normalised form.
func bareJID(key, s string) (string, error) {
	j, err := jid.Parse(s)
	if err != nil || j.Resourcepart() != "" {
		return s, fmt.Errorf("config: %s: %q is not a valid bare JID; write it as \"user@example.org\", without a resource", key, s)
	}
	return j.String(), nil
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
