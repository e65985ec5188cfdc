package prosodytest

import (
	"testing"

	"github.com/ampd-xmpp/ampd/route"
)

// The module asks a domain for its disco#info on ampd's behalf, from the server's own domain,
// and relays the answer under ampd's id (docs/PROTOCOL.md §6): here the host itself, which
// answers with its features. (A remote domain's answer is relayed in the integration suite's
// federation tests.)
func TestDiscoInfoOnBehalf(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)

	comp.send(t, route.AppendDiscoInfoQuery(nil, s.ComponentDomain, s.Host, "q1", s.Host))
	raw := comp.expect(t, "relayed disco#info of the host", func(raw []byte) bool {
		id, _, ok := route.ParseDiscoInfoResult(raw)
		return ok && id == "q1"
	})
	_, answer, _ := route.ParseDiscoInfoResult(raw)
	if answer.AttrValue("type") != "result" || answer.AttrValue("from") != s.Host {
		t.Fatalf("relayed answer %s: want a result from %s", answer.Raw(), s.Host)
	}
	q, ok := answer.Child("http://jabber.org/protocol/disco#info", "query")
	if !ok || len(q.Inner()) == 0 {
		t.Errorf("relayed answer without the host's features: %s", answer.Raw())
	}

	// Malformed requests are ignored, not relayed.
	comp.send(t, route.AppendDiscoInfoQuery(nil, s.ComponentDomain, s.Host, "", s.Host))
	comp.send(t, route.AppendDiscoInfoQuery(nil, s.ComponentDomain, s.Host, "q2", "not a jid@@"))
	comp.expectNone(t, "relay of a malformed request", quiet, func(raw []byte) bool {
		_, _, ok := route.ParseDiscoInfoResult(raw)
		return ok
	})
}
