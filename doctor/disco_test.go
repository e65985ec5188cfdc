package doctor

import (
	"reflect"
	"testing"
)

func TestParseDiscoInfo(t *testing.T) {
	cases := []struct {
		name, id, raw string
		ok            bool
		want          discoAnswer
	}{
		{"prosody host", "d1", `<iq type='result' id='d1' from='localhost' to='amp.localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im' name='Prosody'/><feature var='urn:xmpp:ping'/></query></iq>`,
			true, discoAnswer{names: []string{"Prosody"}, features: []string{"urn:xmpp:ping"}}},
		{"amp node", "d2", `<iq xmlns='jabber:component:accept' type='result' id='d2'><query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/amp'><feature var='http://jabber.org/protocol/amp'/><feature var='http://jabber.org/protocol/amp?action=notify'/></query></iq>`,
			true, discoAnswer{features: []string{"http://jabber.org/protocol/amp", "http://jabber.org/protocol/amp?action=notify"}}},
		{"error", "d3", `<iq type='error' id='d3'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no</text></error></iq>`,
			true, discoAnswer{errorCondition: "item-not-found"}},
		{"error without condition", "d4", `<iq type='error' id='d4'/>`, true, discoAnswer{errorCondition: "unknown"}},
		{"other id", "d1", `<iq type='result' id='other'/>`, false, discoAnswer{}},
		{"a request with the id", "d5", `<iq type='get' id='d5'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, false, discoAnswer{}},
		{"a message", "d6", `<message id='d6'/>`, false, discoAnswer{}},
		{"query of another namespace", "d7", `<iq type='result' id='d7'><query xmlns='jabber:iq:version'><feature var='x'/></query></iq>`, true, discoAnswer{}},
		{"malformed", "d8", `<iq type='result' id='d8'><query`, false, discoAnswer{}},
	}
	for _, c := range cases {
		got, ok := parseDiscoInfo([]byte(c.raw), c.id)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: parseDiscoInfo = %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// What the server sends is network input: no bytes may crash doctor.
func FuzzParseDiscoInfo(f *testing.F) {
	f.Add([]byte(`<iq type='result' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'><identity name='ejabberd'/><feature var='a'/></query></iq>`))
	f.Add([]byte(`<iq type='error' id='d1'><error><service-unavailable/></error></iq>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, ok := parseDiscoInfo(raw, "d1")
		if !ok && (a.names != nil || a.features != nil || a.errorCondition != "") {
			t.Errorf("not an answer, yet %+v", a)
		}
	})
}
