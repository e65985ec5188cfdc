package ejabberdtest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ampd-xmpp/ampd/route"
)

// releasedMessage is a held message as ampd re-injects it: full-JID from, with its rules.
func releasedMessage(from, to, id string) []byte {
	return []byte(fmt.Sprintf(`<message xmlns='jabber:client' from='%s' to='%s' id='%s' type='chat'><body>released</body>`+
		`<amp xmlns='%s'><rule condition='deliver' action='notify' value='stored'/></amp></message>`, from, to, id, nsAMP))
}

// unkeyedReinject is a reinject as an older ampd sends it, without id.
func unkeyedReinject(s *Server, msg []byte) []byte {
	return []byte(fmt.Sprintf(`<message from='%s' to='%s'><reinject xmlns='%s'><forwarded xmlns='%s'>%s</forwarded></reinject></message>`,
		s.ComponentDomain, s.Host, route.NS, route.NSForward, msg))
}

func isAck(raw []byte) bool {
	_, ok := route.ParseReinjected(raw)
	return ok
}

// expectAck waits for the module's acknowledgement of the reinject with key
// and checks that it comes from the host to the component.
func expectAck(t *testing.T, stub *stubComponent, s *Server, key string) {
	t.Helper()
	raw := stub.expect(t, "acknowledgement of reinject "+key, func(raw []byte) bool {
		ids, ok := route.ParseReinjected(raw)
		return ok && slices.Contains(ids, key)
	})
	r, err := parseRoot(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r.name != "message" || r.attrs["from"] != s.Host || r.attrs["to"] != s.ComponentDomain {
		t.Errorf("acknowledgement %s: want a message from %s to %s", raw, s.Host, s.ComponentDomain)
	}
}
