package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"encoding/json"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/ops"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/store"
)

const nsAMP = "http://jabber.org/protocol/amp"

// Options tune Run.
type Options struct {
	// Wait bounds each wait for the server: the privilege announcements after the handshake,
	// each disco#info answer (default 3 s).
	Wait time.Duration
	// Probe, when set, is a client account doctor logs in with after the other checks.
	Probe *Probe
}

// Run checks the configuration at path and everything it points at, and returns the
// checklist. It never changes anything on the server that outlives its connection: what it
// announces to the module is withdrawn when it disconnects.
func Run(ctx context.Context, path string, o Options) *Report {
	if o.Wait <= 0 {
		o.Wait = 3 * time.Second
	}
	r := &Report{}
	cfg, err := config.Load(path)
	if err != nil {
		r.fail("configuration", "Correct the key the message names; every key is in docs/CONFIGURATION.md (/usr/share/doc/ampd/ in the package).", "%v", err)
		r.skip("the configuration is invalid", "tcp", "handshake", "store", "http")
		return r
	}
	servers := cfg.Component.Address
	if len(cfg.Component.Addresses) > 1 {
		servers = strings.Join(cfg.Component.Addresses, ", ")
	}
	r.pass("configuration", "%s is valid (component %s, server %s, hosts %s)", path, cfg.Component.Domain, servers, strings.Join(cfg.Server.Hosts, ", "))

	if running(ctx, cfg.HTTP.Listen) {
		checkRunning(ctx, r, cfg)
		if o.Probe != nil {
			// The probe is only a client: it goes through the running ampd.
			features, err := cfg.Features()
			if err != nil { // config.Load validated [amp]
				features = resolver.DefaultFeatures()
			}
			runProbe(r, cfg, features, *o.Probe, nil, o.Wait)
		}
		return r
	}
	// An ampd without its HTTP endpoint may run: doctor must not connect beside it, since
	// both servers' modules keep only the newest connection of the component, so doctor's
	// would replace ampd's.
	if cfg.Store.Backend == config.BackendPostgres {
		if active := checkPostgresStore(ctx, r, cfg); active {
			return r
		}
		checkServer(ctx, r, cfg, o)
		checkHTTP(r, cfg.HTTP.Listen)
		return r
	}
	if storeLocked(cfg.Store.Path) {
		r.fail("ampd running", "Stop it while doctor checks the server (systemctl stop ampd), or set http.listen so that doctor can read its /status.",
			"the store %s is held by another process, an ampd without its HTTP endpoint: doctor does not connect beside it", cfg.Store.Path)
		return r
	}
	checkServer(ctx, r, cfg, o)
	checkStore(r, cfg.Store.Path)
	checkHTTP(r, cfg.HTTP.Listen)
	return r
}

// running reports whether an ampd already serves the operations endpoint at listen.
func running(ctx context.Context, listen string) bool {
	if listen == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listen+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// storeLocked reports whether another process (a running ampd) holds the store file.
func storeLocked(path string) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	st, err := store.Open(path, store.Options{ReadOnly: true, LockTimeout: 200 * time.Millisecond})
	if err != nil {
		return errors.Is(err, store.ErrLocked)
	}
	st.Close()
	return false
}

// checkServer checks the component listener of every node ampd may connect to: the one of
// component.address, or each of component.addresses in a cluster, where ampd moves to the
// next after a failure, so a node that refuses it must show now rather than at a failover.
// With several nodes each check's name ends with the node's address. The client probe runs
// once, beside the first node's connection.
func checkServer(ctx context.Context, r *Report, cfg *config.Config, o Options) {
	addrs := []string{cfg.Component.Address}
	if len(cfg.Component.Addresses) > 1 {
		addrs = cfg.Component.Addresses // validation made Address the first of them
	}
	for i, addr := range addrs {
		node := *cfg
		node.Component.Address = addr
		label := ""
		if len(addrs) > 1 {
			label = " (node " + addr + ")"
		}
		probe := o.Probe
		if i > 0 {
			probe = nil
		}
		checkNode(ctx, r, &node, o.Wait, probe, label)
	}
}

// checkNode checks TCP, the handshake, and per host the permissions and the module at
// cfg.Component.Address; label ends every check's name.
func checkNode(ctx context.Context, r *Report, cfg *config.Config, wait time.Duration, probe *Probe, label string) {
	later := []string{"handshake" + label}
	for _, h := range cfg.Server.Hosts {
		later = append(later, "privileges "+h+label, "module "+h+label)
	}
	if probe != nil {
		later = append(later, "probe")
	}
	conn, err := net.DialTimeout("tcp", cfg.Component.Address, cfg.Component.DialTimeout)
	if err != nil {
		r.fail("tcp"+label, fixServerDown(cfg.Component.Address), "cannot connect to %s: %v", cfg.Component.Address, err)
		r.skip("no TCP connection", later...)
		return
	}
	conn.Close()
	r.pass("tcp"+label, "%s accepts connections", cfg.Component.Address)

	s, err := connect(ctx, cfg)
	if err != nil {
		var se *component.StreamError
		switch {
		case errors.Is(err, component.ErrNotAuthorized):
			r.fail("handshake"+label, fixSecret(Unknown, cfg.Component.Domain), "the server refused the secret of %s (not-authorized)", cfg.Component.Domain)
		case errors.As(err, &se) && (se.Condition == "host-unknown" || se.Condition == "improper-addressing"):
			r.fail("handshake"+label, fixDomain(Unknown, cfg.Component.Domain), "the server does not know the component %s (%s)", cfg.Component.Domain, se.Condition)
		case errors.As(err, &se) && se.Condition == "conflict":
			r.fail("handshake"+label, "Another process is connected as this component, probably ampd without its HTTP endpoint: stop it (systemctl stop ampd) while doctor runs.", "the server refused a second connection for %s (conflict)", cfg.Component.Domain)
		default:
			r.fail("handshake"+label, fixDomain(Unknown, cfg.Component.Domain)+"and check that "+cfg.Component.Address+" is the component port, not the client (5222) or server (5269) port.", "no XEP-0114 handshake with %s: %v", cfg.Component.Address, err)
		}
		r.skip("no component connection", later[1:]...)
		return
	}
	defer s.close()
	r.pass("handshake"+label, "connected and authenticated as %s", cfg.Component.Domain)

	deadline := time.Now().Add(wait)
	s.waitPrivileges(cfg.Server.Hosts, deadline)
	for _, h := range cfg.Server.Hosts {
		if names, _, err := s.discoInfo(h, "", time.Now().Add(wait)); err == nil {
			for _, n := range names {
				if f := familyOf(n); f != Unknown {
					r.Family = f
				}
			}
		}
	}
	for _, h := range cfg.Server.Hosts {
		checkPrivileges(r, s, cfg, h, label)
	}
	features, err := cfg.Features()
	if err != nil { // config.Load validated [amp]
		features = resolver.DefaultFeatures()
	}
	for _, h := range cfg.Server.Hosts {
		if err := s.client.Send(route.AppendAnnounce(nil, cfg.Component.Domain, h, features.Disco())); err != nil {
			r.fail("module "+h+label, "", "cannot send the announcement: %v", err)
			continue
		}
		_, got, err := s.discoInfo(h, nsAMP, time.Now().Add(wait))
		advertised := err == nil && slices.Contains(got, nsAMP)
		pong, answered := s.ping(h, time.Now().Add(wait))
		switch {
		case advertised && answered:
			r.pass("module "+h+label, "mod_ampd on %s (%s %s): when_down %s after a grace of %d s, max_pending %d, pending_timeout %d s, reinjected_max %d, reinjected_max_age %d s, %d retained; advertises what ampd announces (%d features)",
				h, pong.Server, pong.ServerVersion, pong.WhenDown, pong.DownGrace, pong.MaxPending, pong.PendingTimeout, pong.ReinjectedMax, pong.ReinjectedAge, pong.Retained, len(got))
		case advertised:
			r.fail("module "+h+label, fixModule(r.Family, h, cfg.Component.Domain), "mod_ampd on %s advertises AMP but does not answer a ping: it is older than this ampd; install the module of this version", h)
		case err == nil:
			r.fail("module "+h+label, fixModule(r.Family, h, cfg.Component.Domain), "%s does not advertise AMP after ampd's announcement: mod_ampd is not loaded there, or serves another component", h)
		default:
			r.fail("module "+h+label, fixModule(r.Family, h, cfg.Component.Domain), "%s does not answer the AMP disco#info node (%v): mod_ampd is not loaded there", h, err)
		}
	}
	if s.presences > 0 {
		r.note("presence"+label, "%d presences received at connect (users online)", s.presences)
	} else {
		r.note("presence"+label, "no presence received at connect: nobody online, or the presence permission is missing (see above)")
	}
	if probe != nil {
		// While doctor's connection has announced: the module advertises AMP and diverts to it.
		runProbe(r, cfg, features, *probe, s, wait)
	}
}

// checkPrivileges checks the XEP-0356 permissions host announced.
func checkPrivileges(r *Report, s *session, cfg *config.Config, h, label string) {
	name := "privileges " + h + label
	fixText := fixPrivileges(r.Family, h, cfg.Component.Domain)
	p, ok := s.privs[h]
	if !ok {
		r.fail(name, fixText, "%s announced no XEP-0356 permissions to %s: ampd would see no presence there", h, cfg.Component.Domain)
		return
	}
	var missing []string
	if p.Presence != "managed_entity" && p.Presence != "roster" {
		missing = append(missing, fmt.Sprintf("presence (granted %q)", p.Presence))
	}
	if cfg.Privacy.PresencePolicy == config.PolicyRoster && p.Roster != "get" && p.Roster != "both" {
		missing = append(missing, fmt.Sprintf("roster get, which privacy.presence_policy = \"roster\" needs (granted %q)", p.Roster))
	}
	if len(missing) > 0 {
		r.fail(name, fixText, "%s does not grant %s", h, strings.Join(missing, " nor "))
		return
	}
	r.pass(name, "presence %s, roster %s (%s)", p.Presence, p.Roster, p.Namespace)
}

// checkStore checks that the store can be opened, or created where it is configured.
func checkStore(r *Report, path string) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(path)
		f, err := os.CreateTemp(dir, ".ampd-doctor-*")
		if err != nil {
			r.fail("store", fmt.Sprintf("Create %s and give it to the user ampd runs as (the package's unit does: StateDirectory=ampd), or set store.path.", dir), "%s does not exist yet and cannot be created: %v", path, err)
			return
		}
		f.Close()
		os.Remove(f.Name())
		r.pass("store", "no held messages yet; ampd creates %s at start (%s is writable)", path, dir)
		return
	}
	st, err := store.Open(path, store.Options{ReadOnly: true, LockTimeout: time.Second})
	if errors.Is(err, store.ErrLocked) {
		r.fail("store", "Another process holds the store: stop it (an ampd without its HTTP endpoint, or ampd held …).", "%s is locked by another process", path)
		return
	}
	if err != nil {
		r.fail("store", "See the error; ampd held recover --config FILE rescues what can be read from a damaged store.", "%v", err)
		return
	}
	defer st.Close()
	var held int
	var oldest time.Time
	err = st.ForEach(func(rec store.Record) error {
		held++
		if at, ok := rec.NextDeadline(); ok && (oldest.IsZero() || at.Before(oldest)) {
			oldest = at
		}
		return nil
	})
	if err != nil {
		r.fail("store", "See the error; ampd held recover --config FILE rescues what can be read from a damaged store.", "reading %s: %v", path, err)
		return
	}
	if oldest.IsZero() {
		r.pass("store", "%s: %d held messages", path, held)
		return
	}
	r.pass("store", "%s: %d held messages, next deadline %s", path, held, oldest.UTC().Format(time.RFC3339))
}

// checkHTTP checks that the operations endpoint can listen where configured.
func checkHTTP(r *Report, listen string) {
	if listen == "" {
		r.note("http", "the endpoint is disabled (http.listen = \"\"): no /metrics, /healthz, /readyz")
		return
	}
	ln, err := ops.Listen(listen)
	if err != nil {
		r.fail("http", "Set http.listen to a free host:port (or stop what listens there).", "%v", err)
		return
	}
	ln.Close()
	r.pass("http", "%s is free for /metrics, /healthz and /readyz", listen)
}

// checkRunning reports what a running ampd's /status says: the server accepts one connection
// per component, so doctor cannot check the server beside it.
func checkRunning(ctx context.Context, r *Report, cfg *config.Config) {
	st, err := fetchStatus(ctx, cfg.HTTP.Listen)
	if err != nil {
		r.fail("ampd running", "Stop it while doctor checks the server (systemctl stop ampd), run ampd doctor, then start it again.",
			"an ampd answers on http.listen %s but its /status cannot be read (%v): the server accepts one connection for %s, so doctor cannot connect beside it", cfg.HTTP.Listen, err, cfg.Component.Domain)
		return
	}
	r.note("ampd running", "ampd %s answers on %s; checked through its /status (stop it to let doctor check the server itself)", st.Version, cfg.HTTP.Listen)
	if st.Connected {
		r.pass("connection", "ampd is connected to %s as %s", cfg.Component.Address, cfg.Component.Domain)
	} else {
		r.fail("connection", "Its log says why (journalctl -u ampd); or stop it (systemctl stop ampd) and run ampd doctor, which names the failing step and its fix.",
			"ampd is not connected to %s", cfg.Component.Address)
	}
	for _, h := range cfg.Server.Hosts {
		granted := false
		for _, hs := range st.Hosts {
			granted = granted || hs.Host == h && hs.Privileged
		}
		switch {
		case granted:
			r.pass("privileges "+h, "%s granted the presence permission", h)
		case st.Connected:
			r.fail("privileges "+h, fixPrivileges(Unknown, h, cfg.Component.Domain), "%s has not granted the XEP-0356 presence permission: ampd sees no presence there", h)
		default:
			r.skip("ampd is not connected", "privileges "+h)
		}
		r.note("module "+h, "not checked while ampd runs (stop it to let doctor ask mod_ampd on %s)", h)
	}
	if st.Ready != "ok" {
		r.fail("ready", "See the checks above.", "ampd is not ready: %s", st.Ready)
	}
	r.pass("store", "%d held messages", st.Held)
	r.pass("http", "ampd serves /metrics, /healthz, /readyz and /status on %s", cfg.HTTP.Listen)
}

// fetchStatus reads a running ampd's /status.
func fetchStatus(ctx context.Context, listen string) (ops.Status, error) {
	var st ops.Status
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listen+"/status", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("/status answered %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}
