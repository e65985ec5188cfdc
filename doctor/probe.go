package doctor

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
)

const nsAMPFeature = "http://jabber.org/features/amp"

// Probe is a client account doctor logs in with to check what a user sees: the stream
// feature, the disco#info features and an AMP message with a notify rule sent to itself.
type Probe struct {
	JID, Password string
	// Address is the server's client port; default the component address's host, port 5222.
	Address string
	// Insecure skips the verification of the server's TLS certificate (self-signed test
	// servers); the checklist says so.
	Insecure bool
	// RootCAs, when set, replaces the system's trusted roots (a test's own authority).
	RootCAs *x509.CertPool
}

// probeDivert is the component's part in a probe run while ampd is stopped: doctor holds the
// component connection, so the module diverts the probe's message to doctor, which must
// answer it for the message to go on.
type probeDivert interface {
	// answer waits for the divert of the message with id from full and delivers it.
	answer(id string, deadline time.Time) error
}

// answer delivers the probe's own message: doctor stands in for ampd only for this message,
// without a reply (the notify is ampd's, checked through a running ampd).
func (s *session) answer(id string, deadline time.Time) error {
	for {
		raw := s.next(deadline)
		if raw == nil {
			return errors.New("mod_ampd diverted nothing to the component in time")
		}
		d, err := route.ParseDivert(raw)
		if err != nil || !strings.Contains(string(d.Message), "id='"+id+"'") && !strings.Contains(string(d.Message), `id="`+id+`"`) {
			continue
		}
		return s.client.Send(route.AppendVerdict(nil, s.domain, d.Host, d.ID, route.Deliver, nil))
	}
}

// runProbe logs in as the probe account and checks, one line each: the connection, TLS, the
// login, the stream feature, the disco#info features, and the AMP message to itself. With
// divert (ampd stopped, doctor connected as the component) doctor delivers the diverted
// message itself and the notify, which only ampd sends, is not expected.
func runProbe(r *Report, cfg *config.Config, features resolver.Features, p Probe, divert probeDivert, wait time.Duration) {
	names := []string{"probe connect", "probe tls", "probe login", "probe stream feature", "probe disco", "probe message"}
	local, host, ok := strings.Cut(p.JID, "@")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if !ok || local == "" || host == "" {
		r.fail("probe", "Give --probe-jid as user@host, an account on one of server.hosts.", "%q is not a bare JID", p.JID)
		return
	}
	if !slices.Contains(cfg.Server.Hosts, host) {
		r.fail("probe", fmt.Sprintf("Use an account on one of server.hosts (%s), or add %s to server.hosts.", strings.Join(cfg.Server.Hosts, ", "), host),
			"%s is not in server.hosts: ampd does not serve it", host)
		return
	}
	addr := p.Address
	if addr == "" {
		h, _, _ := net.SplitHostPort(cfg.Component.Address)
		addr = net.JoinHostPort(h, "5222")
	}
	conn, err := net.DialTimeout("tcp", addr, cfg.Component.DialTimeout)
	if err != nil {
		r.fail(names[0], "Give the server's client (c2s) port with --probe-address host:port, or start the server.", "cannot connect to %s: %v", addr, err)
		r.skip("no client connection", names[1:]...)
		return
	}
	// One bound for the whole conversation: each step waits at most wait.
	c := &xmppClient{conn: conn, domain: host}
	defer func() { c.close() }()
	step := func() { _ = c.conn.SetDeadline(time.Now().Add(wait)) }
	step()
	if err := c.open(); err != nil {
		r.fail(names[0], "Check that --probe-address "+addr+" is the client port (5222), not the component or server port.", "no XMPP client stream with %s: %v", addr, err)
		r.skip("no client stream", names[1:]...)
		return
	}
	r.pass(names[0], "%s opens a client stream for %s", addr, host)

	switch {
	case !c.offersTLS():
		r.note(names[1], "WARNING: %s offers no STARTTLS: the probe logs in unencrypted (a server for users should require TLS)", addr)
	default:
		step()
		if err := c.startTLS(!p.Insecure, p.RootCAs); err != nil {
			fix := "Install a certificate for " + host + " that this machine trusts; for a test server with a self-signed certificate, add --probe-insecure."
			r.fail(names[1], fix, "STARTTLS with %s: %v", addr, err)
			r.skip("no TLS", names[2:]...)
			return
		}
		if p.Insecure {
			r.note(names[1], "WARNING: STARTTLS without verifying the certificate of %s (--probe-insecure): do not use it against a production server", host)
		} else {
			r.pass(names[1], "STARTTLS, certificate valid for %s", host)
		}
	}

	mechs := c.mechanisms()
	mech := ""
	for _, m := range []string{"SCRAM-SHA-1", "PLAIN"} {
		if slices.Contains(mechs, m) {
			mech = m
			break
		}
	}
	if mech == "" {
		r.fail(names[2], "Enable SCRAM-SHA-1 (or PLAIN over TLS) for client logins on the server.", "the server offers none of SCRAM-SHA-1 and PLAIN (offers %s)", strings.Join(mechs, ", "))
		r.skip("no login", names[3:]...)
		return
	}
	step()
	if err := c.authenticate(mech, local, p.Password); err != nil {
		var refused errAuth
		fix := "See the error."
		detail := fmt.Sprintf("%s login as %s: %v", mech, p.JID, err)
		if errors.As(err, &refused) {
			fix = fmt.Sprintf("Check --probe-password, or create the account: prosodyctl adduser %s, or ejabberdctl register %s %s PASSWORD.", p.JID, local, host)
			detail = fmt.Sprintf("the server refused the password of %s (%s, %s)", p.JID, mech, refused.condition)
		}
		r.fail(names[2], fix, "%s", detail)
		r.skip("no login", names[3:]...)
		return
	}
	resource := "ampd-doctor-" + randomHex(4)
	step()
	full, err := c.bind(resource)
	if err != nil {
		r.fail(names[2], "See the error; the server's log says more.", "logged in as %s (%s) but cannot bind a resource: %v", p.JID, mech, err)
		r.skip("no session", names[3:]...)
		return
	}
	r.pass(names[2], "logged in as %s (%s), bound %s", p.JID, mech, full)

	moduleFix := fixModule(r.Family, host, cfg.Component.Domain) +
		"If mod_ampd is loaded: it advertises AMP only while ampd is connected and has announced; check the component connection above (or ampd's log: journalctl -u ampd)."
	if c.hasAMPFeature() {
		r.pass(names[3], "<amp xmlns='%s'/> offered after authentication", nsAMPFeature)
	} else {
		r.fail(names[3], moduleFix, "%s does not offer the stream feature <amp xmlns='%s'/>: mod_ampd is not loaded on %s, or ampd is not connected or has not announced", host, nsAMPFeature, host)
	}

	step()
	checkProbeDisco(r, c, host, features, moduleFix)

	step()
	checkProbeMessage(r, c, full, features, divert, wait)
}

// hasAMPFeature reports whether the stream features after authentication offer AMP.
func (c *xmppClient) hasAMPFeature() bool { return c.features.child(nsAMPFeature, "amp") != nil }

// checkProbeDisco compares host's disco#info AMP features, as a client sees them, with what
// this configuration announces.
func checkProbeDisco(r *Report, c *xmppClient, host string, features resolver.Features, moduleFix string) {
	const name = "probe disco"
	if err := c.send("<iq type='get' id='disco' to='" + xmlEscape(host) + "'><query xmlns='" + nsDiscoInfo + "'/></iq>"); err != nil {
		r.fail(name, "", "sending the disco#info query: %v", err)
		return
	}
	n, err := c.readIQ("disco")
	if err != nil {
		r.fail(name, "See the error; the server's log says more.", "disco#info of %s: %v", host, err)
		return
	}
	var got []string
	if q := n.child(nsDiscoInfo, "query"); q != nil {
		for _, f := range q.Nodes {
			if v := f.attr("var"); f.XMLName.Local == "feature" && (v == nsAMP || strings.HasPrefix(v, nsAMP+"?")) {
				got = append(got, v)
			}
		}
	}
	want := features.Disco()
	var missing, extra []string
	for _, v := range want {
		if !slices.Contains(got, v) {
			missing = append(missing, v)
		}
	}
	for _, v := range got {
		if !slices.Contains(want, v) {
			extra = append(extra, v)
		}
	}
	switch {
	case len(got) == 0:
		r.fail(name, moduleFix, "%s advertises no AMP feature on its disco#info (%s)", host, nsAMP)
	case len(missing) > 0 || len(extra) > 0:
		r.fail(name, "Another ampd (or one with another [amp] configuration) has announced on this server: doctor compares with this configuration's [amp]. Reload or restart the ampd that serves "+host+" with this configuration.",
			"%s advertises AMP features other than this configuration's: missing %s; not configured %s", host, listOrNone(missing), listOrNone(extra))
	default:
		r.pass(name, "%s advertises %s and the %d actions, conditions and values of this configuration", host, nsAMP, len(want)-1)
	}
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// checkProbeMessage sends the probe's full JID a message with a notify rule met on direct
// delivery to an online resource, and checks the notify (ampd's) and the message arrive.
func checkProbeMessage(r *Report, c *xmppClient, full string, features resolver.Features, divert probeDivert, wait time.Duration) {
	const name = "probe message"
	for _, f := range []string{nsAMP + "?action=notify", nsAMP + "?condition=deliver"} {
		if !slices.Contains(features.Disco(), f) {
			r.note(name, "not sent: this configuration does not enable %s, which the probe's rule uses", f)
			return
		}
	}
	// Available first: ampd reads presence to know that the resource is online.
	id := "ampd-doctor-" + randomHex(6)
	msg := "<presence/><message type='chat' id='" + id + "' to='" + xmlEscape(full) + "'><body>ampd doctor probe</body>" +
		"<amp xmlns='" + nsAMP + "'><rule action='notify' condition='deliver' value='direct'/></amp></message>"
	if err := c.send(msg); err != nil {
		r.fail(name, "", "sending the probe message: %v", err)
		return
	}
	deadline := time.Now().Add(2 * wait)
	_ = c.conn.SetDeadline(deadline)
	if divert != nil {
		if err := divert.answer(id, deadline); err != nil {
			r.fail(name, "mod_ampd does not divert AMP messages from clients of this host: see the module check above and the server's log.", "%v", err)
			return
		}
	}
	var gotMessage, gotNotify bool
	for !gotMessage || divert == nil && !gotNotify {
		n, err := c.read()
		if err != nil {
			missing := "the message itself"
			if !gotNotify && divert == nil {
				missing = "the notify reply"
				if !gotMessage {
					missing += " nor the message itself"
				}
			}
			r.fail(name, "ampd's log (journalctl -u ampd) and the server's log say what became of it.", "%s did not arrive in %s (%v)", missing, 2*wait, err)
			return
		}
		if n.XMLName.Local != "message" || n.attr("id") != id {
			continue
		}
		if n.attr("type") == "error" {
			cond := "undefined-condition"
			if e := n.child(nsClient, "error"); e != nil {
				cond = e.condition("urn:ietf:params:xml:ns:xmpp-stanzas")
			}
			r.fail(name, "ampd refused the rule or could not deliver: its log (journalctl -u ampd) says why; service-unavailable means ampd was not connected in time (the module's when_down).", "the probe message came back as an error: %s", cond)
			return
		}
		a := n.child(nsAMP, "amp")
		switch {
		case a != nil && a.attr("status") == "notify":
			gotNotify = true
		case a != nil && a.attr("status") == "":
			gotMessage = true
		}
	}
	if divert != nil {
		r.pass(name, "mod_ampd diverted the AMP message to the component and delivered it on doctor's verdict; ampd's notify is checked when doctor runs beside a running ampd")
		return
	}
	r.pass(name, "ampd sent the notify (deliver direct) and the message arrived")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
