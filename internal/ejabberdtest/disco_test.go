package ejabberdtest

import (
	"testing"

	"github.com/ampd-xmpp/ampd/route"
)

// The module asks a domain for its disco#info on ampd's behalf, from the host's own JID, and
// relays the answer under ampd's id (docs/PROTOCOL.md §6): here the host itself, which
// answers with its features. ejabberd 24.12 would drop the same iq sent by the component.
func TestDiscoInfoOnBehalf(t *testing.T) {
	s := startServer(t, Options{})
	stub := connectComponent(t, s)

	stub.send(t, route.AppendDiscoInfoQuery(nil, s.ComponentDomain, s.Host, "q1", s.Host))
	raw := stub.expect(t, "relayed disco#info of the host", func(raw []byte) bool {
		id, _, ok := route.ParseDiscoInfoResult(raw)
		return ok && id == "q1"
	})
	_, answer, _ := route.ParseDiscoInfoResult(raw)
	if answer.AttrValue("type") != "result" || answer.AttrValue("from") != s.Host {
		t.Fatalf("relayed answer %s: want a result from %s", answer.Raw(), s.Host)
	}
	if q, ok := answer.Child("http://jabber.org/protocol/disco#info", "query"); !ok || len(q.Inner()) == 0 {
		t.Errorf("relayed answer without the host's features: %s", answer.Raw())
	}

	// Malformed requests are ignored, not relayed.
	stub.send(t, route.AppendDiscoInfoQuery(nil, s.ComponentDomain, s.Host, "", s.Host))
	stub.send(t, route.AppendDiscoInfoQuery(nil, s.ComponentDomain, s.Host, "q2", "not a jid@@"))
	stub.expectNone(t, "relay of a malformed request", func(raw []byte) bool {
		_, _, ok := route.ParseDiscoInfoResult(raw)
		return ok
	})
}
