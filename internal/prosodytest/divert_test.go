package prosodytest

import (
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

const nsAMP = "http://jabber.org/protocol/amp"

// innerAttrs reads the addressing of a diverted inner message.
type innerAttrs struct {
	From string `xml:"from,attr"`
	To   string `xml:"to,attr"`
	ID   string `xml:"id,attr"`
	Body string `xml:"body"`
}

func parseInner(t *testing.T, raw []byte) innerAttrs {
	t.Helper()
	var m innerAttrs
	if err := xml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("inner message %s: %v", raw, err)
	}
	return m
}

// ampAttrs reads the from/to stamp of an <amp/> element.
func ampAttrs(t *testing.T, raw []byte) (from, to string) {
	t.Helper()
	var a struct {
		From string `xml:"from,attr"`
		To   string `xml:"to,attr"`
	}
	if raw == nil {
		t.Fatal("no <amp/> element")
	}
	if err := xml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("amp %s: %v", raw, err)
	}
	return a.From, a.To
}

// Every AMP request from a client is diverted, whatever its destination,
// with the route facts of that destination.
func TestDivertRouteFacts(t *testing.T) {
	cases := []struct {
		name           string
		withoutOffline bool
		to             string
		msgType        string
		wantTo         string // the inner message's to ("" = same as to)
		recipient      string
		offline        string
	}{
		{name: "local user", to: "bob@localhost", recipient: "local", offline: "store"},
		{name: "local full JID", to: "bob@localhost/laptop", recipient: "local", offline: "store"},
		{name: "local user without mod_offline", withoutOffline: true, to: "bob@localhost", recipient: "local", offline: "none"},
		{name: "headline is never stored", to: "bob@localhost", msgType: "headline", recipient: "local", offline: "none"},
		{name: "no such account", to: "nobody@localhost", recipient: "unknown", offline: "none"},
		{name: "remote domain", to: "romeo@montague.example", recipient: "remote", offline: "none"},
		{name: "the component", to: "amp.localhost", recipient: "service", offline: "none"},
		{name: "the host itself", to: "localhost", recipient: "service", offline: "none"},
		{name: "own bare JID", to: "alice@localhost", recipient: "local", offline: "store"},
	}
	// One server per configuration, for the whole table.
	servers := map[bool]*Server{}
	stubs := map[bool]*stub{}
	clients := map[bool]*c2stest.Client{}
	for _, without := range []bool{false, true} {
		servers[without] = startSandbox(t, Options{WithoutOffline: without})
		stubs[without] = connectStub(t, servers[without])
		clients[without] = online(t, servers[without], "alice", "phone")
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := servers[tc.withoutOffline]
			comp, alice := stubs[tc.withoutOffline], clients[tc.withoutOffline]
			id := fmt.Sprintf("facts%d", i)
			typ := tc.msgType
			if typ == "" {
				typ = "chat"
			}
			// The whole message crosses only when ampd may hold it: an expire-at rule and
			// offline='store' (route §1); otherwise the divert is slim, without the body.
			for j, rules := range []string{
				"<rule condition='deliver' value='stored' action='error'/>",
				"<rule condition='expire-at' value='2999-01-01T00:00:00Z' action='drop'/>",
			} {
				id := fmt.Sprintf("%s-%d", id, j)
				raw := fmt.Sprintf("<message to='%s' id='%s' type='%s'><body>x</body><amp xmlns='%s'>%s</amp></message>", tc.to, id, typ, nsAMP, rules)
				if err := alice.SendRaw(raw); err != nil {
					t.Fatal(err)
				}
				d := comp.expectDivert(t, id)
				t.Logf("%s", d.Message)
				if d.Host != s.Host || d.Origin != route.OriginC2S || d.Recipient != tc.recipient || d.Offline != tc.offline || d.ID == "" {
					t.Errorf("divert facts = host %q origin %q recipient %q offline %q id %q; want localhost c2s %s %s",
						d.Host, d.Origin, d.Recipient, d.Offline, d.ID, tc.recipient, tc.offline)
				}
				inner := parseInner(t, d.Message)
				wantTo := tc.wantTo
				if wantTo == "" {
					wantTo = tc.to
				}
				wantFull := j == 1 && tc.offline == "store"
				wantBody := map[bool]string{true: "x"}[wantFull]
				if inner.From != alice.JID || inner.To != wantTo || inner.Body != wantBody || d.Slim == wantFull {
					t.Errorf("inner from %q to %q body %q slim %v; want %q %q %q slim %v", inner.From, inner.To, inner.Body, d.Slim, alice.JID, wantTo, wantBody, !wantFull)
				}
				// Answer, so that the retained table does not carry over.
				comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Discard, nil))
			}
		})
		if t.Failed() {
			break
		}
	}
}

// Messages that are not AMP requests are routed as usual, never diverted.
func TestNotDiverted(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	msgs := map[string]string{
		"plain":      "<message to='bob@localhost' id='n1' type='chat'><body>plain</body></message>",
		"amp status": "<message to='bob@localhost' id='n2' type='chat'><amp xmlns='" + nsAMP + "' status='notify' to='bob@localhost' from='alice@localhost/phone'><rule condition='deliver' value='direct' action='notify'/></amp></message>",
	}
	for name, raw := range msgs {
		if err := alice.SendRaw(raw); err != nil {
			t.Fatal(name, err)
		}
	}
	expectClient(t, bob, c2stest.WithID("n1"))
	expectClient(t, bob, c2stest.WithID("n2"))
	comp.expectNone(t, "divert", quiet, isDivert)
}

// deliver: the recipient gets the retained message with the amp stamp.
func TestVerdictDeliverStampsAmp(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")

	for _, tc := range []struct{ id, to string }{{"d1", "bob@localhost"}, {"d2", "bob@localhost/laptop"}} {
		if err := alice.SendRaw(ampMessage(tc.to, tc.id, "hello "+tc.id)); err != nil {
			t.Fatal(err)
		}
		d := comp.expectDivert(t, tc.id)
		comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
		got := expectClient(t, bob, message, c2stest.WithID(tc.id))
		from, to := ampAttrs(t, got.Child(nsAMP, "amp"))
		if got.From != alice.JID || from != alice.JID || to != tc.to || got.ChildText(c2stest.NSClient, "body") != "hello "+tc.id {
			t.Errorf("bob got %s; want from %s, amp from %s to %s", got, alice.JID, alice.JID, tc.to)
		}
	}
	// Delivered once: the delivery was not diverted again.
	comp.expectNone(t, "second divert", quiet, isDivert)
	expectNoClient(t, bob, c2stest.WithID("d1"))
}

// A message to one's own bare JID is diverted with to = the bare JID and
// delivered back with that stamp.
func TestSelfMessage(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	if err := alice.SendRaw(ampMessage("alice@localhost", "self1", "note to self")); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "self1")
	if inner := parseInner(t, d.Message); inner.To != "alice@localhost" {
		t.Fatalf("inner to = %q; want alice@localhost: %s", inner.To, d.Message)
	}
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
	got := expectClient(t, alice, message, c2stest.WithID("self1"))
	if from, to := ampAttrs(t, got.Child(nsAMP, "amp")); from != alice.JID || to != "alice@localhost" {
		t.Errorf("amp stamp from %q to %q: %s", from, to, got)
	}
}
