package ejabberdtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

const (
	nsAMP        = "http://jabber.org/protocol/amp"
	nsAMPFeature = "http://jabber.org/features/amp"
	nsStanzas    = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
)

var announced = []string{nsAMP, nsAMP + "?action=notify", nsAMP + "?condition=deliver"}

// ampMessage is an AMP request as a client sends it (no from).
func ampMessage(to, id string) string {
	return fmt.Sprintf(`<message to='%s' id='%s' type='chat'><body>hello %s</body>`+
		`<amp xmlns='%s'><rule condition='deliver' action='notify' value='stored'/></amp></message>`,
		to, id, id, nsAMP)
}

// expectDivert waits for the divert of the message with the given id.
func expectDivert(t *testing.T, stub *stubComponent, msgID string) route.Divert {
	t.Helper()
	raw := stub.expect(t, "divert of "+msgID, func(raw []byte) bool {
		d, err := route.ParseDivert(raw)
		if err != nil {
			return false
		}
		r, err := parseRoot(d.Message)
		return err == nil && r.attrs["id"] == msgID
	})
	d, err := route.ParseDivert(raw)
	if err != nil {
		t.Fatal(err)
	}
	outer, _ := parseRoot(raw)
	if outer.attrs["id"] != d.ID {
		t.Errorf("divert: outer id %q, route id %q; want them equal", outer.attrs["id"], d.ID)
	}
	return d
}

func isDivertOf(msgID string) func([]byte) bool {
	return func(raw []byte) bool {
		d, err := route.ParseDivert(raw)
		if err != nil {
			return false
		}
		r, _ := parseRoot(d.Message)
		return r.attrs["id"] == msgID
	}
}

func message(id string) func(c2stest.Stanza) bool {
	return c2stest.All(c2stest.Named("message"), c2stest.WithID(id))
}

// TestModule drives mod_ampd through a stand-in component on one server.
func TestModule(t *testing.T) {
	s := startServer(t, Options{Users: map[string]string{"alice": "pw", "bob": "pw"}})
	stub := connectComponent(t, s)
	alice := client(t, s, "alice", "pw", "phone")
	bob := client(t, s, "bob", "pw", "desk")
	for _, c := range []*c2stest.Client{alice, bob} {
		if err := c.Presence(1); err != nil {
			t.Fatal(err)
		}
	}
	aliceJID := "alice@" + s.Host + "/phone"
	bobBare := "bob@" + s.Host

	t.Run("nothing advertised before the announcement", func(t *testing.T) {
		c := client(t, s, "alice", "pw", "early")
		if strings.Contains(string(c.Features()), nsAMPFeature) {
			t.Errorf("stream features before announce: %s", c.Features())
		}
		info, err := c.IQ(ctxFor(t), fmt.Sprintf(`<iq type='get' to='%s'><query xmlns='%s'/></iq>`, s.Host, nsDiscoInfo))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(info.Raw), nsAMP) {
			t.Errorf("disco before announce: %s", info.Raw)
		}
	})

	stub.announce(t, s, announced)

	t.Run("stream feature and disco after the announcement", func(t *testing.T) {
		c := client(t, s, "alice", "pw", "late")
		if !strings.Contains(string(c.Features()), "<amp xmlns='"+nsAMPFeature+"'/>") {
			t.Errorf("no amp stream feature after announce: %s", c.Features())
		}
		for _, node := range []string{"", nsAMP} {
			query := fmt.Sprintf(`<iq type='get' to='%s'><query xmlns='%s' node='%s'/></iq>`, s.Host, nsDiscoInfo, node)
			if node == "" {
				query = fmt.Sprintf(`<iq type='get' to='%s'><query xmlns='%s'/></iq>`, s.Host, nsDiscoInfo)
			}
			info, err := c.IQ(ctxFor(t), query)
			if err != nil {
				t.Fatalf("node %q: %v", node, err)
			}
			for _, f := range announced {
				if !strings.Contains(string(info.Raw), "var='"+strings.ReplaceAll(f, "&", "&amp;")+"'") {
					t.Errorf("node %q: feature %s missing: %s", node, f, info.Raw)
				}
			}
		}
	})

	t.Run("divert facts", func(t *testing.T) {
		tests := []struct {
			to, recipient, offline string
		}{
			{bobBare, "local", "store"},
			{"alice@" + s.Host, "local", "store"}, // to one's own bare JID
			{"nobody@" + s.Host, "unknown", "none"},
			{s.Host, "service", "none"},
			{s.ComponentDomain, "service", "none"},
			{"someone@remote.example", "remote", "none"},
		}
		// The whole message crosses only when ampd may hold it: an expire-at rule and
		// offline='store' (route §1); otherwise the divert is slim, without the body.
		expireAt := strings.NewReplacer("condition='deliver' action='notify' value='stored'",
			"condition='expire-at' action='drop' value='2999-01-01T00:00:00Z'")
		for i, tc := range tests {
			for j, msg := range []func(to, id string) string{ampMessage, func(to, id string) string { return expireAt.Replace(ampMessage(to, id)) }} {
				id := fmt.Sprintf("facts%d-%d", i, j)
				if err := alice.SendRaw(msg(tc.to, id)); err != nil {
					t.Fatal(err)
				}
				d := expectDivert(t, stub, id)
				inner, _ := parseRoot(d.Message)
				if d.Host != s.Host || d.Origin != route.OriginC2S || d.Recipient != tc.recipient || d.Offline != tc.offline ||
					inner.attrs["from"] != aliceJID || inner.attrs["to"] != tc.to {
					t.Errorf("to %s: got host=%s origin=%s recipient=%s offline=%s from=%s to=%s; want %s c2s %s %s %s %s",
						tc.to, d.Host, d.Origin, d.Recipient, d.Offline, inner.attrs["from"], inner.attrs["to"],
						s.Host, tc.recipient, tc.offline, aliceJID, tc.to)
				}
				wantFull := j == 1 && tc.offline == "store"
				if _, ok := findElement(d.Message, "jabber:client", "body"); ok != wantFull || d.Slim == wantFull {
					t.Errorf("to %s, rule %d: slim %v, body %v; want the whole message %v: %s", tc.to, j, d.Slim, ok, wantFull, d.Message)
				}
				if _, ok := findElement(d.Message, nsAMP, "amp"); !ok {
					t.Errorf("inner message lost its <amp/> or namespace: %s", d.Message)
				}
				stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Discard, nil))
			}
		}
	})

	t.Run("deliver stamps amp and is not diverted again", func(t *testing.T) {
		if err := alice.SendRaw(ampMessage(bobBare, "deliver1")); err != nil {
			t.Fatal(err)
		}
		d := expectDivert(t, stub, "deliver1")
		stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
		got, err := bob.Expect(ctxFor(t), message("deliver1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.From != aliceJID || got.ChildText("jabber:client", "body") != "hello deliver1" {
			t.Errorf("delivered: %s", got.Raw)
		}
		amp, ok := findElement(got.InContext(), nsAMP, "amp")
		if !ok || amp["from"] != aliceJID || amp["to"] != bobBare {
			t.Errorf("amp not stamped from=%s to=%s: %s", aliceJID, bobBare, got.Raw)
		}
		stub.expectNone(t, "second divert of deliver1", isDivertOf("deliver1"))
		// A second verdict for the same route is ignored.
		stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
		if err := bob.ExpectNone(ctxFor(t), quiet, message("deliver1")); err != nil {
			t.Error(err)
		}
	})

	t.Run("deliver with strip='amp' delivers without the amp element", func(t *testing.T) {
		if err := alice.SendRaw(ampMessage(bobBare, "strip1")); err != nil {
			t.Fatal(err)
		}
		d := expectDivert(t, stub, "strip1")
		stub.send(t, route.AppendDeliverStripped(nil, s.ComponentDomain, s.Host, d.ID, nil))
		got, err := bob.Expect(ctxFor(t), message("strip1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.From != aliceJID || got.ChildText("jabber:client", "body") != "hello strip1" {
			t.Errorf("delivered: %s", got.Raw)
		}
		if _, ok := findElement(got.InContext(), nsAMP, "amp"); ok {
			t.Errorf("amp not stripped: %s", got.Raw)
		}
	})

	t.Run("delivery runs the sender's carbons, not before the verdict", func(t *testing.T) {
		tablet := client(t, s, "alice", "pw", "tablet")
		if err := tablet.Presence(0); err != nil {
			t.Fatal(err)
		}
		if _, err := tablet.IQ(ctxFor(t), `<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>`); err != nil {
			t.Fatal(err)
		}
		if err := alice.SendRaw(ampMessage(bobBare, "carbon1")); err != nil {
			t.Fatal(err)
		}
		d := expectDivert(t, stub, "carbon1")
		isCarbon := c2stest.All(c2stest.Named("message"), c2stest.WithChild("urn:xmpp:carbons:2", "sent"))
		if err := tablet.ExpectNone(ctxFor(t), quiet, isCarbon); err != nil {
			t.Errorf("carbon before the verdict: %v", err)
		}
		stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
		got, err := tablet.Expect(ctxFor(t), isCarbon)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got.Raw), "carbon1") {
			t.Errorf("carbon is not of the delivered message: %s", got.Raw)
		}
		if _, err := bob.Expect(ctxFor(t), message("carbon1")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("several verdicts in one message", func(t *testing.T) {
		var ids []string
		for _, id := range []string{"batch1", "batch2"} {
			if err := alice.SendRaw(ampMessage(bobBare, id)); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, expectDivert(t, stub, id).ID)
		}
		batch := fmt.Sprintf(`<message from='%s' to='%s'>`+
			`<verdict xmlns='%s' route='%s' action='deliver'/><verdict xmlns='%s' route='%s' action='deliver'/></message>`,
			s.ComponentDomain, s.Host, route.NS, ids[0], route.NS, ids[1])
		stub.send(t, []byte(batch))
		for _, id := range []string{"batch1", "batch2"} {
			if _, err := bob.Expect(ctxFor(t), message(id)); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("discard posts the reply from the host", func(t *testing.T) {
		if err := alice.SendRaw(ampMessage(bobBare, "discard1")); err != nil {
			t.Fatal(err)
		}
		d := expectDivert(t, stub, "discard1")
		reply := fmt.Sprintf(`<message xmlns='jabber:client' from='mallory@%s' to='%s' id='discard1'>`+
			`<amp xmlns='%s' status='alert' from='%s' to='%s'><rule condition='deliver' action='alert' value='stored'/></amp></message>`,
			s.Host, aliceJID, nsAMP, bobBare, aliceJID)
		stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Discard, []byte(reply)))
		got, err := alice.Expect(ctxFor(t), message("discard1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.From != s.Host {
			t.Errorf("reply from %q, want the host %q (a reply's from is HOST or COMPONENT)", got.From, s.Host)
		}
		if amp, ok := findElement(got.InContext(), nsAMP, "amp"); !ok || amp["status"] != "alert" {
			t.Errorf("reply: %s", got.Raw)
		}
		if err := bob.ExpectNone(ctxFor(t), quiet, message("discard1")); err != nil {
			t.Error(err)
		}
	})

	t.Run("verdict for an unknown route is ignored with its reply", func(t *testing.T) {
		reply := fmt.Sprintf(`<message xmlns='jabber:client' from='%s' to='%s' id='ghost'><body>x</body></message>`, s.Host, aliceJID)
		stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, "no-such-route", route.Deliver, []byte(reply)))
		if err := alice.ExpectNone(ctxFor(t), quiet, message("ghost")); err != nil {
			t.Error(err)
		}
	})

	t.Run("verdict from anyone else is forbidden", func(t *testing.T) {
		if err := alice.SendRaw(ampMessage(bobBare, "forged1")); err != nil {
			t.Fatal(err)
		}
		d := expectDivert(t, stub, "forged1")
		forged := fmt.Sprintf(`<message to='%s' id='forge'><verdict xmlns='%s' route='%s' action='deliver'/></message>`, s.Host, route.NS, d.ID)
		if err := alice.SendRaw(forged); err != nil {
			t.Fatal(err)
		}
		got, err := alice.Expect(ctxFor(t), message("forge"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != "error" || got.Find(nsStanzas, "forbidden") == nil {
			t.Errorf("forged verdict answered with %s, want a forbidden error", got.Raw)
		}
		if err := bob.ExpectNone(ctxFor(t), quiet, message("forged1")); err != nil {
			t.Error(err)
		}
		// The route is still pending: the component's verdict still works.
		stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
		if _, err := bob.Expect(ctxFor(t), message("forged1")); err != nil {
			t.Error(err)
		}
	})

	t.Run("reinject routes the message as is, once per key, and never diverts it", func(t *testing.T) {
		reinject := route.AppendReinject(nil, s.ComponentDomain, s.Host, "key1", releasedMessage(aliceJID, bobBare, "reinject1"))
		stub.send(t, reinject)
		got, err := bob.Expect(ctxFor(t), message("reinject1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.From != aliceJID {
			t.Errorf("reinjected message from %q, want %q", got.From, aliceJID)
		}
		expectAck(t, stub, s, "key1")
		// ampd resends (it missed the acknowledgement): acknowledged, not routed again.
		stub.send(t, reinject)
		expectAck(t, stub, s, "key1")
		if err := bob.ExpectNone(ctxFor(t), quiet, message("reinject1")); err != nil {
			t.Error(err)
		}
		stub.expectNone(t, "divert of a reinjected message", isDivertOf("reinject1"))
	})

	t.Run("reinjects with distinct keys are each routed", func(t *testing.T) {
		for _, key := range []string{"key2", "key3"} {
			stub.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, key, releasedMessage(aliceJID, bobBare, "same1")))
			if _, err := bob.Expect(ctxFor(t), message("same1")); err != nil {
				t.Fatal(err)
			}
			expectAck(t, stub, s, key)
		}
	})

	t.Run("reinject without key is routed every time and not acknowledged", func(t *testing.T) {
		for range 2 {
			stub.send(t, unkeyedReinject(s, releasedMessage(aliceJID, bobBare, "old1")))
			if _, err := bob.Expect(ctxFor(t), message("old1")); err != nil {
				t.Fatal(err)
			}
		}
		stub.expectNone(t, "acknowledgement of an unkeyed reinject", isAck)
	})

	t.Run("malformed reinject is neither routed, remembered nor acknowledged", func(t *testing.T) {
		noTo := []byte(fmt.Sprintf(`<message xmlns='jabber:client' from='%s' id='bad1'><body>x</body></message>`, aliceJID))
		stub.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, "key9", noTo))
		stub.expectNone(t, "acknowledgement of a malformed reinject", isAck)
		stub.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, "key9", releasedMessage(aliceJID, bobBare, "good1")))
		if _, err := bob.Expect(ctxFor(t), message("good1")); err != nil {
			t.Fatal(err)
		}
		expectAck(t, stub, s, "key9")
	})

	t.Run("retained requests are diverted again after an announcement", func(t *testing.T) {
		if err := alice.SendRaw(ampMessage(bobBare, "again1")); err != nil {
			t.Fatal(err)
		}
		first := expectDivert(t, stub, "again1")
		stub.send(t, route.AppendAnnounce(nil, s.ComponentDomain, s.Host, announced))
		second := expectDivert(t, stub, "again1")
		if second.ID != first.ID {
			t.Errorf("re-divert has route id %q, want %q", second.ID, first.ID)
		}
		stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, first.ID, route.Deliver, nil))
		if _, err := bob.Expect(ctxFor(t), message("again1")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPresenceGaps checks what mod_ampd adds to ejabberd's XEP-0356
// presence: users online before the component connects, and sessions that
// end without an unavailable presence.
func TestPresenceGaps(t *testing.T) {
	s := startServer(t, Options{Users: map[string]string{"alice": "pw"}})
	alice := client(t, s, "alice", "pw", "phone")
	if err := alice.Presence(5); err != nil {
		t.Fatal(err)
	}
	// The presence must have reached the session manager before the
	// component connects; the echo of the own presence shows it did.
	if _, err := alice.Expect(ctxFor(t), c2stest.All(c2stest.Named("presence"), c2stest.From(alice.JID))); err != nil {
		t.Fatal(err)
	}
	stub := connectComponent(t, s)
	raw := stub.expect(t, "presence of alice", stanzaFrom("presence", alice.JID, ""))
	r, _ := parseRoot(raw)
	if r.attrs["type"] != "" || r.attrs["to"] != s.ComponentDomain {
		t.Errorf("presence: %s", raw)
	}
	if !strings.Contains(string(raw), "<priority>5</priority>") {
		t.Errorf("presence lacks the priority: %s", raw)
	}
	if err := alice.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	stub.expect(t, "unavailable of alice", stanzaFrom("presence", alice.JID, "unavailable"))
}

// TestComponentDown checks both when_down modes with no component connected and no grace.
func TestComponentDown(t *testing.T) {
	for _, mode := range []string{"bounce", "pass"} {
		t.Run(mode, func(t *testing.T) {
			s := startServer(t, Options{WhenDown: mode, DownGrace: NoGrace, Users: map[string]string{"alice": "pw", "bob": "pw"}})
			alice := client(t, s, "alice", "pw", "phone")
			bob := client(t, s, "bob", "pw", "desk")
			if err := bob.Presence(1); err != nil {
				t.Fatal(err)
			}
			if err := alice.SendRaw(ampMessage("bob@"+s.Host, "down1")); err != nil {
				t.Fatal(err)
			}
			switch mode {
			case "bounce":
				got, err := alice.Expect(ctxFor(t), message("down1"))
				if err != nil {
					t.Fatal(err)
				}
				if got.Type != "error" || got.From != s.Host || got.Find(nsStanzas, "service-unavailable") == nil {
					t.Errorf("got %s, want a service-unavailable error from the host", got.Raw)
				}
				if err := bob.ExpectNone(ctxFor(t), quiet, message("down1")); err != nil {
					t.Error(err)
				}
			case "pass":
				got, err := bob.Expect(ctxFor(t), message("down1"))
				if err != nil {
					t.Fatal(err)
				}
				if amp, _ := findElement(got.InContext(), nsAMP, "amp"); amp["from"] != "" {
					t.Errorf("a message let through unprocessed was stamped: %s", got.Raw)
				}
			}
		})
	}
}

// TestModuleInstall loads mod_ampd the offline way the README describes
// (ejabberdctl module_install) and checks that it runs.
func TestModuleInstall(t *testing.T) {
	s := startServer(t, Options{ModuleInstall: true, Users: map[string]string{"alice": "pw"}})
	// module_check finds the layout it wants (spec, README.txt, COPYING, src/) and compiles
	// the module: it exits 0 and prints nothing, or "ok" (a missing file or a compile error
	// is printed and exits 1).
	out, err := s.ctl(ctxFor(t), "module_check", "mod_ampd").CombinedOutput()
	if got := strings.TrimSpace(string(out)); err != nil || got != "" && got != "ok" {
		t.Errorf("ejabberdctl module_check mod_ampd: %v: %q", err, out)
	}
	stub := connectComponent(t, s)
	stub.announce(t, s, announced)
	alice := client(t, s, "alice", "pw", "phone")
	if !strings.Contains(string(alice.Features()), nsAMPFeature) {
		t.Errorf("no amp stream feature after announce: %s", alice.Features())
	}
	if err := alice.SendRaw(ampMessage("alice@"+s.Host, "installed1")); err != nil {
		t.Fatal(err)
	}
	d := expectDivert(t, stub, "installed1")
	if d.Recipient != "local" {
		t.Errorf("recipient %q, want local", d.Recipient)
	}

	// The installed module and the accounts survive a restart.
	if err := s.Restart(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	if s.PID() == 0 {
		t.Error("PID is 0 after restart")
	}
	select {
	case <-stub.connected: // the component reconnects by itself
	case <-time.After(testTimeout):
		t.Fatal("component did not reconnect after the restart")
	}
	stub.awaitGrant(t)
	stub.announce(t, s, announced)
	alice = client(t, s, "alice", "pw", "phone")
	if err := alice.SendRaw(ampMessage("alice@"+s.Host, "installed2")); err != nil {
		t.Fatal(err)
	}
	expectDivert(t, stub, "installed2")
}

// TestBounds checks max_pending and pending_timeout: past the bound a new
// request is bounced at once, and a request without a verdict is bounced
// when it expires.
func TestBounds(t *testing.T) {
	s := startServer(t, Options{MaxPending: 1, PendingTimeout: time.Second, Users: map[string]string{"alice": "pw", "bob": "pw"}})
	stub := connectComponent(t, s)
	alice := client(t, s, "alice", "pw", "phone")
	bob := "bob@" + s.Host
	if err := alice.SendRaw(ampMessage(bob, "kept")); err != nil {
		t.Fatal(err)
	}
	expectDivert(t, stub, "kept")
	if err := alice.SendRaw(ampMessage(bob, "overflow")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"overflow", "kept"} { // the full table at once, then the expiry
		got, err := alice.Expect(ctxFor(t), message(id))
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != "error" || got.Find(nsStanzas, "service-unavailable") == nil {
			t.Errorf("%s: got %s, want a service-unavailable error", id, got.Raw)
		}
	}
	stub.expectNone(t, "divert of the request past the bound", isDivertOf("overflow"))
}
