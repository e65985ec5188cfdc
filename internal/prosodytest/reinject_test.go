package prosodytest

import (
	"encoding/xml"
	"fmt"
	"slices"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// releasedMessage is a held message as ampd re-injects it: full-JID from, with its rules.
func releasedMessage(id string) []byte {
	return []byte(fmt.Sprintf("<message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost' id='%s' type='chat'><body>released</body>"+
		"<amp xmlns='%s' to='bob@localhost' from='alice@localhost/phone'><rule condition='expire-at' value='2099-01-01T00:00:00Z' action='drop'/></amp></message>", id, nsAMP))
}

// unkeyedReinject is a reinject as an older ampd sends it, without id.
func unkeyedReinject(s *Server, msg []byte) []byte {
	return []byte(fmt.Sprintf("<message from='%s' to='%s'><reinject xmlns='%s'><forwarded xmlns='urn:xmpp:forward:0'>%s</forwarded></reinject></message>",
		s.ComponentDomain, s.Host, route.NS, msg))
}

// isAckOf matches the module's acknowledgement of the reinject with key.
func isAckOf(key string) func([]byte) bool {
	return func(raw []byte) bool {
		ids, ok := route.ParseReinjected(raw)
		return ok && slices.Contains(ids, key)
	}
}

func isAck(raw []byte) bool {
	_, ok := route.ParseReinjected(raw)
	return ok
}

// expectAck waits for the acknowledgement of key and checks it comes from the host.
func (c *stub) expectAck(t *testing.T, s *Server, key string) {
	t.Helper()
	raw := c.expect(t, "acknowledgement of reinject "+key, isAckOf(key))
	var head struct {
		From string `xml:"from,attr"`
		To   string `xml:"to,attr"`
	}
	if err := xml.Unmarshal(raw, &head); err != nil {
		t.Fatalf("acknowledgement %s: %v", raw, err)
	}
	if head.From != s.Host || head.To != s.ComponentDomain {
		t.Errorf("acknowledgement %s: want from %s to %s", raw, s.Host, s.ComponentDomain)
	}
}

// A re-injected message is routed with its full-JID from and never diverted.
// ampd sends key k1: bob receives the message once and ampd the acknowledgement;
// ampd resends k1 (it missed the acknowledgement): acknowledged again, not routed.
func TestReinjectRoutedOnceAndAcknowledged(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")

	reinject := route.AppendReinject(nil, s.ComponentDomain, s.Host, "k1", releasedMessage("ri1"))
	comp.send(t, reinject)
	got := expectClient(t, bob, message, c2stest.WithID("ri1"))
	if got.From != "alice@localhost/phone" || got.ChildText(c2stest.NSClient, "body") != "released" {
		t.Errorf("bob got %s", got)
	}
	comp.expectAck(t, s, "k1")

	comp.send(t, reinject)
	comp.expectAck(t, s, "k1")
	expectNoClient(t, bob, message, c2stest.WithID("ri1"))
	comp.expectNone(t, "divert of a re-injected message", 0, isDivert)
}

// Distinct keys are each routed, even for the same inner message.
func TestReinjectDistinctKeys(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")
	for _, key := range []string{"k1", "k2"} {
		comp.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, key, releasedMessage("same")))
		expectClient(t, bob, message, c2stest.WithID("same"))
		comp.expectAck(t, s, key)
	}
}

// Without a key (an older ampd) the message is routed every time and never acknowledged.
func TestReinjectWithoutKey(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")
	for range 2 {
		comp.send(t, unkeyedReinject(s, releasedMessage("old1")))
		expectClient(t, bob, message, c2stest.WithID("old1"))
	}
	comp.expectNone(t, "acknowledgement of an unkeyed reinject", quiet, isAck)
	comp.expectNone(t, "divert of a re-injected message", 0, isDivert)
}

// A malformed reinject is neither routed nor acknowledged, nor remembered:
// a later well-formed one with the same key is routed.
func TestReinjectMalformedIgnored(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")
	noTo := []byte("<message xmlns='jabber:client' from='alice@localhost/phone' id='bad1'><body>x</body></message>")
	comp.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, "k9", noTo))
	comp.expectNone(t, "acknowledgement of a malformed reinject", quiet, isAck)
	comp.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, "k9", releasedMessage("good1")))
	expectClient(t, bob, message, c2stest.WithID("good1"))
	comp.expectAck(t, s, "k9")
	expectNoClient(t, bob, message, c2stest.WithID("bad1"))
}
