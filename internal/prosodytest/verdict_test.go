package prosodytest

import (
	"fmt"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/xmlcanon"
	"github.com/ampd-xmpp/ampd/route"
)

// notifyReply is the reply ampd would owe alice for a notify rule.
func notifyReply(s *Server, to, id, from string) []byte {
	return []byte(fmt.Sprintf("<message xmlns='jabber:client' from='%s' to='%s' id='%s'>"+
		"<amp xmlns='%s' status='notify' to='bob@localhost' from='alice@localhost/phone'>"+
		"<rule condition='deliver' value='direct' action='notify'/></amp></message>", from, to, id, nsAMP))
}

// discard: nothing reaches the recipient; the reply inside the verdict
// reaches the sender from the host, also when ampd wrote another from.
func TestVerdictDiscardWithReply(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	for _, replyFrom := range []string{"localhost", "amp.localhost", "mallory@evil.example"} {
		id := "x-" + replyFrom
		if err := alice.SendRaw(ampMessage("bob@localhost", id, "secret")); err != nil {
			t.Fatal(err)
		}
		d := comp.expectDivert(t, id)
		comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Discard, notifyReply(s, alice.JID, id, replyFrom)))
		got := expectClient(t, alice, message, c2stest.WithID(id))
		wantFrom := replyFrom
		if replyFrom != "localhost" && replyFrom != "amp.localhost" {
			wantFrom = "localhost"
		}
		if got.From != wantFrom || !got.Has(nsAMP, "amp") {
			t.Errorf("alice got %s; want a reply from %s", got, wantFrom)
		}
	}
	expectNoClient(t, bob, message)
}

// hold is forgotten like discard (ampd keeps its own copy).
func TestVerdictHold(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "h1", "later")); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "h1")
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Hold, nil))
	// A later deliver for the same route is ignored: the route is gone.
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
	expectNoClient(t, bob, message)
}

// A verdict for a route the module does not hold is ignored, reply included.
func TestVerdictUnknownRouteIgnored(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, "no-such-route", route.Deliver, notifyReply(s, alice.JID, "u1", "localhost")))
	expectNoClient(t, alice, message)
}

// Several verdicts in one message (batching) are all carried out.
func TestVerdictBatch(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	var ids []string
	for i := range 3 {
		id := fmt.Sprintf("b%d", i)
		if err := alice.SendRaw(ampMessage("bob@localhost", id, id)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, comp.expectDivert(t, id).ID)
	}
	batch := fmt.Sprintf("<message from='%s' to='%s'>"+
		"<verdict xmlns='%s' route='%s' action='deliver'/>"+
		"<verdict xmlns='%s' route='%s' action='discard'/>"+
		"<verdict xmlns='%s' route='%s' action='deliver'/></message>",
		s.ComponentDomain, s.Host, route.NS, ids[0], route.NS, ids[1], route.NS, ids[2])
	comp.send(t, []byte(batch))
	expectClient(t, bob, c2stest.WithID("b0"))
	expectClient(t, bob, c2stest.WithID("b2"))
	expectNoClient(t, bob, c2stest.WithID("b1"))
}

// After the component reconnects and announces, every retained request is
// diverted again with the same route id; a verdict delivers only once.
func TestReDivertAfterReconnect(t *testing.T) {
	s := startSandbox(t, Options{})
	first := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "r1", "again")); err != nil {
		t.Fatal(err)
	}
	d1 := first.expectDivert(t, "r1")
	first.close()

	second := connectStub(t, s)
	second.announce(t, s, "http://jabber.org/protocol/amp")
	d2 := second.expectDivert(t, "r1")
	// The same stanza, serialised again: attribute order may differ, the content may not.
	if same, diff := xmlcanon.Equal(d2.Message, d1.Message); d2.ID != d1.ID || !same {
		t.Fatalf("re-divert %s (route %s) differs from divert %s (route %s):\n%s", d2.Message, d2.ID, d1.Message, d1.ID, diff)
	}
	verdict := route.AppendVerdict(nil, s.ComponentDomain, s.Host, d2.ID, route.Deliver, notifyReply(s, alice.JID, "r1", "localhost"))
	second.send(t, verdict)
	second.send(t, verdict) // a repeat, as after a second reconnect
	expectClient(t, bob, c2stest.WithID("r1"))
	expectClient(t, alice, message, c2stest.WithID("r1"))
	expectNoClient(t, bob, c2stest.WithID("r1"))
	expectNoClient(t, alice, message, c2stest.WithID("r1"))
}

// Control elements from anyone but the component get <forbidden/>.
func TestControlFromClientForbidden(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "f1", "held back")); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "f1")
	forged := fmt.Sprintf("<message to='localhost' id='forge1'><verdict xmlns='%s' route='%s' action='deliver'/></message>", route.NS, d.ID)
	if err := alice.SendRaw(forged); err != nil {
		t.Fatal(err)
	}
	got := expectClient(t, alice, message, c2stest.WithID("forge1"))
	if got.Type != "error" || got.Find("urn:ietf:params:xml:ns:xmpp-stanzas", "forbidden") == nil {
		t.Errorf("alice got %s; want a forbidden error", got)
	}
	forged = fmt.Sprintf("<message to='localhost' id='forge2'><reinject xmlns='%s'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='carol@localhost/x' to='bob@localhost' id='fake'><body>forged</body></message></forwarded></reinject></message>", route.NS)
	if err := alice.SendRaw(forged); err != nil {
		t.Fatal(err)
	}
	got = expectClient(t, alice, message, c2stest.WithID("forge2"))
	if got.Type != "error" || got.Find("urn:ietf:params:xml:ns:xmpp-stanzas", "forbidden") == nil {
		t.Errorf("alice got %s; want a forbidden error", got)
	}
	expectNoClient(t, bob, message)
}
