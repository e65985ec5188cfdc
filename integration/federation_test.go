package integration

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Federation on loopback: "localhost" (mod_ampd and ampd), "remote.test" (mod_ampd and its own
// ampd: advertises AMP) and "plain.test" (no AMP at all), their s2s pinned to each other's
// loopback ports (no DNS).

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func requireFederation(t *testing.T) {
	t.Helper()
	if !pinsS2S() {
		t.Skipf("AMPD_TEST_SERVER=%s: the ejabberd sandbox resolves s2s peers with getaddrinfo and has a single outgoing s2s port, so it cannot federate several named sandboxes and their component domains on loopback (the next hop through ejabberd is TestEjabberdFederationNextHop)", serverKind())
	}
}

// federation is the three servers of the federation tests.
type federation struct {
	local, remote, plain *env
}

func startFederation(t *testing.T, editLocal func(*config.Config)) *federation {
	t.Helper()
	return startFederationWith(t, editLocal, false)
}

// startFederationWith is startFederation, with bidirectional s2s on every server when bidi.
func startFederationWith(t *testing.T, editLocal func(*config.Config), bidi bool) *federation {
	t.Helper()
	requireFederation(t)
	localPort, remotePort, plainPort := freePort(t), freePort(t), freePort(t)
	backHome := map[string]int{"localhost": localPort, "amp.localhost": localPort}
	f := &federation{}
	f.local = newEnv(t, envOptions{
		server: serverOptions{S2SPort: localPort, S2SBidi: bidi, S2SPins: map[string]int{
			"remote.test": remotePort, "amp.remote.test": remotePort, "plain.test": plainPort, "amp.plain.test": plainPort,
		}},
		edit: editLocal,
	})
	f.remote = newEnv(t, envOptions{
		server: serverOptions{Host: "remote.test", S2SPort: remotePort, S2SBidi: bidi, S2SPins: backHome},
		// Its users are strangers to ours: let the remote edge evaluate their rules anyway.
		edit: func(c *config.Config) { c.Privacy.PresencePolicy = config.PolicyOff },
	})
	f.plain = newEnv(t, envOptions{
		server:   serverOptions{Host: "plain.test", WithoutAmpd: true, S2SPort: plainPort, S2SBidi: bidi, S2SPins: backHome},
		external: true,
	})
	return f
}

// online logs a user of a server without ampd in, available.
func (e *env) onlinePlain(user, resource string) *c2stest.Client {
	e.t.Helper()
	c := e.client(user, resource, nil)
	must(e.t, c.Presence(0))
	return c
}

func replyFrom(id, from string) func(c2stest.Stanza) bool {
	return c2stest.All(replyTo(id), func(s c2stest.Stanza) bool { return s.From == from })
}

func unavailable(e *env, sender, id, rules string) string {
	return `<message from='` + e.srv.Host + `' to='` + sender + `' id='` + id + `' type='error'><amp xmlns='` + nsAMP + `'>` + rules + `</amp>` +
		`<error type='cancel' code='503'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`
}

// overS2S is a stanza as it arrives from another server: Prosody adds the stream's
// xml:lang to what it routes over s2s.
func overS2S(want string) string {
	return strings.Replace(want, "<message ", "<message xml:lang='en' ", 1)
}

func hasAMP(s c2stest.Stanza) bool { return s.Child(nsAMP, "amp") != nil }

// local → remote: the next hop is asked once per domain; a server with AMP gets the message
// with its <amp/> stamped; one without gets what amp.remote_unsupported says.
func TestFederationNextHop(t *testing.T) {
	f := startFederation(t, nil)
	local := f.local
	alice := local.client(local.user("alice"), "phone", prio(0))
	romeoU := f.remote.user("romeo")
	romeo := f.remote.client(romeoU, "balcony", prio(0))
	julietU := f.plain.user("juliet")
	juliet := f.plain.onlinePlain(julietU, "tomb")
	notify := rule("notify", "deliver", "direct")

	t.Run("supported", func(t *testing.T) {
		to := f.remote.jid(romeoU)
		must(t, alice.SendRaw(ampMessage(to, "n1", "chat", notify)))
		expectStanza(t, alice, replyFrom("n1", local.srv.Host), reply(local, alice.JID, to, "n1", "notify", notify))
		got := expectStanza(t, romeo, bodyOf("n1"), "")
		if !hasAMP(got) || !containsAttr(got.Raw, "from", alice.JID) {
			t.Errorf("romeo got %s; want it with the <amp/> stamped from %s", got.Raw, alice.JID)
		}
		if n := testutil.ToFloat64(local.ampd.metrics.RemoteChecks.WithLabelValues("supported")); n != 1 {
			t.Errorf("remote checks{supported} = %v, want 1", n)
		}
	})

	to := f.plain.jid(julietU)
	for i, tc := range []struct {
		policy  string
		arrives bool // the message reaches juliet
		withAMP bool
	}{
		{config.RemoteError, false, false},
		{config.RemoteStrip, true, false},
		{config.RemotePass, true, true},
	} {
		t.Run("unsupported/"+tc.policy, func(t *testing.T) {
			local.cfg.AMP.RemoteUnsupported = tc.policy
			must(t, local.ampd.d.Reload(local.cfg))
			id := "p" + string(rune('1'+i))
			must(t, alice.SendRaw(ampMessage(to, id, "chat", notify)))
			if !tc.arrives {
				// Only the 503: the notify the rule met is not sent for a message refused.
				expectStanza(t, alice, replyTo(id), unavailable(local, alice.JID, id, notify))
				expectNothing(t, juliet, bodyOf(id))
				return
			}
			expectStanza(t, alice, replyTo(id), reply(local, alice.JID, to, id, "notify", notify))
			got := expectStanza(t, juliet, bodyOf(id), "")
			if hasAMP(got) != tc.withAMP {
				t.Errorf("juliet got %s; want <amp/>: %v", got.Raw, tc.withAMP)
			}
		})
	}
	// plain.test was asked once; the other messages were decided from the cache.
	if n := testutil.ToFloat64(local.ampd.metrics.RemoteChecks.WithLabelValues("unsupported")); n != 1 {
		t.Errorf("remote checks{unsupported} = %v, want 1", n)
	}
	if n := testutil.ToFloat64(local.ampd.metrics.RemoteCacheHits); n < 2 {
		t.Errorf("remote cache hits = %v, want at least 2", n)
	}
}

// remote → local: the request arrives over s2s with the sender's server's stamp, is
// processed here as the recipient's edge, and the reply reaches the remote sender. The §9
// modes decide whether a remote stranger may ask about a local user's presence.
func TestFederationIncoming(t *testing.T) {
	f := startFederation(t, func(c *config.Config) { c.Privacy.PresencePolicy = config.PolicyOff })
	local := f.local
	bobU := local.user("bob") // never online: stored
	bob := local.jid(bobU)
	romeo := f.remote.client(f.remote.user("romeo"), "balcony", prio(0))
	juliet := f.plain.onlinePlain(f.plain.user("juliet"), "tomb")
	alert := rule("alert", "deliver", "stored")

	t.Run("stamped by an AMP server", func(t *testing.T) {
		must(t, romeo.SendRaw(ampMessage(bob, "i1", "chat", alert)))
		expectStanza(t, romeo, replyTo("i1"), overS2S(reply(local, romeo.JID, bob, "i1", "alert", alert)))
		// remote.test's ampd checked our server before sending it on.
		if n := testutil.ToFloat64(f.remote.ampd.metrics.RemoteChecks.WithLabelValues("supported")); n != 1 {
			t.Errorf("remote.test's checks{supported} = %v, want 1", n)
		}
	})
	t.Run("from a server without AMP", func(t *testing.T) {
		must(t, juliet.SendRaw(ampMessage(bob, "i2", "chat", alert)))
		expectStanza(t, juliet, replyTo("i2"), overS2S(reply(local, juliet.JID, bob, "i2", "alert", alert)))
	})
	t.Run("same-domain refuses a remote stranger", func(t *testing.T) {
		local.cfg.Privacy.PresencePolicy = config.PolicySameDomain
		must(t, local.ampd.d.Reload(local.cfg))
		must(t, juliet.SendRaw(ampMessage(bob, "i3", "chat", alert)))
		expectStanza(t, juliet, replyTo("i3"), overS2S(`<message from='`+local.srv.Host+`' to='`+juliet.JID+`' id='i3' type='error'><amp xmlns='`+nsAMP+`'>`+alert+`</amp>`+
			`<error type='modify' code='406'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><invalid-rules xmlns='`+nsAMP+`'>`+alert+`</invalid-rules></error></message>`))
	})
}

// Single server, both kinds: same-domain trusts any local sender, off trusts everyone; the
// roster mode is TestPresencePolicy's.
func TestPresencePolicyModes(t *testing.T) {
	for _, policy := range []string{config.PolicySameDomain, config.PolicyOff} {
		t.Run(policy, func(t *testing.T) {
			e := newEnv(t, envOptions{edit: func(c *config.Config) { c.Privacy.PresencePolicy = policy }})
			stranger := e.client(e.user("stranger"), "x", prio(0))
			to := e.jid(e.user("bob"))
			probe := rule("alert", "deliver", "stored")
			must(t, stranger.SendRaw(ampMessage(to, "m1", "chat", probe)))
			expectStanza(t, stranger, replyTo("m1"), reply(e, stranger.JID, to, "m1", "alert", probe))
		})
	}
}

// gatewayComponent is a tiny external component that says it is a gateway: disco#info
// answers with <identity category='gateway' type='xmpp'/>; messages are swallowed.
type gatewayComponent struct {
	client *component.Client
	domain string
}

func (g *gatewayComponent) Connected()         {}
func (g *gatewayComponent) Disconnected(error) {}
func (g *gatewayComponent) Stanza(raw []byte) {
	root, err := xmlscan.Parse(raw)
	if err != nil || string(root.Local()) != "iq" {
		return
	}
	attr := func(name string) string {
		a, ok := root.Attr(name)
		if !ok {
			return ""
		}
		v, _ := a.Unescape(nil)
		return string(v)
	}
	if attr("type") != "get" {
		return
	}
	var b []byte
	b = append(b, "<iq type='result' from='"...)
	b = xmlscan.AppendEscaped(b, g.domain)
	b = append(b, "' to='"...)
	b = xmlscan.AppendEscaped(b, attr("from"))
	b = append(b, "' id='"...)
	b = xmlscan.AppendEscaped(b, attr("id"))
	b = append(b, "'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='gateway' type='xmpp'/></query></iq>"...)
	_ = g.client.Send(b)
}

// A local component whose disco#info identity is a gateway makes deliver=gateway met.
func TestGatewayComponent(t *testing.T) {
	if !pinsS2S() {
		t.Skipf("AMPD_TEST_SERVER=%s: the ejabberd sandbox has no option for a second external component", serverKind())
	}
	const gwDomain, gwSecret = "gw.localhost", "gw-secret"
	e := newEnv(t, envOptions{server: serverOptions{ExtraComponents: map[string]string{gwDomain: gwSecret}}})
	g := &gatewayComponent{domain: gwDomain}
	g.client = component.New(component.Config{Address: e.srv.ComponentAddr, Domain: gwDomain, Secret: gwSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, g)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = g.client.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	alice := e.client(e.user("alice"), "phone", prio(0))
	to := "user@" + gwDomain
	gateway := rule("alert", "deliver", "gateway")
	must(t, alice.SendRaw(ampMessage(to, "g1", "chat", gateway)))
	expectStanza(t, alice, replyTo("g1"), reply(e, alice.JID, to, "g1", "alert", gateway))
	if n := testutil.ToFloat64(e.ampd.metrics.RemoteChecks.WithLabelValues("unsupported")); n != 1 {
		t.Errorf("remote checks{unsupported} = %v, want 1 (the gateway's disco#info, without AMP)", n)
	}
}

// remote → local over a bidirectional s2s connection (XEP-0288; Prosody loads mod_s2s_bidi by
// itself): once a local user has written to the remote server, that server sends back over
// the connection ours opened, so its stanzas arrive on our *outgoing* session. An AMP request
// arriving that way is processed exactly like one over an incoming connection.
func TestFederationBidi(t *testing.T) {
	f := startFederationWith(t, func(c *config.Config) { c.Privacy.PresencePolicy = config.PolicyOff }, true)
	local := f.local
	bob := local.jid(local.user("bob")) // never online: stored
	aliceU := local.user("alice")
	alice := local.client(aliceU, "desk", prio(0))
	romeoU := f.remote.user("romeo")
	romeo := f.remote.client(romeoU, "balcony", prio(0))

	// Our server opens the connection to remote.test, and asks for it to be bidirectional.
	must(t, alice.SendRaw(`<message to='`+romeo.JID+`' id='b0' type='chat'><body>hello</body></message>`))
	ctx, cancel := ctxWait()
	defer cancel()
	if _, err := romeo.Expect(ctx, c2stest.All(c2stest.Named("message"), c2stest.WithID("b0"))); err != nil {
		t.Fatalf("the plain message to remote.test: %v", err)
	}
	log, err := os.ReadFile(local.srv.LogPath)
	must(t, err)
	if !strings.Contains(string(log), "bidirectional") {
		t.Fatalf("%s did not negotiate a bidirectional s2s stream to remote.test (no 'bidirectional' in its log, %d bytes at %s)", serverKind(), len(log), local.srv.LogPath)
	}

	alert := rule("alert", "deliver", "stored")
	must(t, romeo.SendRaw(ampMessage(bob, "b1", "chat", alert)))
	expectStanza(t, romeo, replyTo("b1"), overS2S(reply(local, romeo.JID, bob, "b1", "alert", alert)))
	// The request came in on the connection our server opened.
	log, err = os.ReadFile(local.srv.LogPath)
	must(t, err)
	if !regexp.MustCompile(`Received\[s2sout\]: <message[^\n]*id='b1'`).Match(log) {
		t.Errorf("the request did not arrive on %s's outgoing s2s session: the test did not exercise bidi\n%s", serverKind(), linesWith(log, "b1"))
	}
}

// linesWith returns the lines of log that contain s, for failure messages.
func linesWith(log []byte, s string) string {
	var out []string
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
