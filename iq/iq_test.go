package iq

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

func mustParse(t testing.TB, raw string) *Stanza {
	t.Helper()
	s, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse(%s): %v", raw, err)
	}
	return &s
}

func TestParse(t *testing.T) {
	tests := []struct {
		raw  string
		want Stanza
		err  error // nil: parsed; otherwise errors.Is, or any error when errAny
		any  bool
	}{
		{raw: `<iq type='get' id='1' from='a@x/r' to='amp.x'><ping xmlns='urn:xmpp:ping'/></iq>`, want: Stanza{Type: "get", ID: "1", From: "a@x/r", To: "amp.x"}},
		{raw: `<iq type='result' id='a&amp;b'/>`, want: Stanza{Type: "result", ID: "a&b"}},
		{raw: `<iq type='error' id='2'/>`, want: Stanza{Type: "error", ID: "2"}},
		{raw: `<iq type='set'/>`, want: Stanza{Type: "set"}},
		{raw: `<iq type='chat' id='3'/>`, err: ErrType},
		{raw: `<iq id='3'/>`, err: ErrType},
		{raw: `<message type='get'/>`, err: ErrNotIQ},
		{raw: `<iq type='get'>`, any: true},
	}
	for _, tc := range tests {
		s, err := Parse([]byte(tc.raw))
		switch {
		case tc.any:
			if err == nil {
				t.Errorf("Parse(%s) accepted malformed XML", tc.raw)
			}
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("Parse(%s) = %v, want %v", tc.raw, err, tc.err)
			}
		case err != nil:
			t.Errorf("Parse(%s): %v", tc.raw, err)
		case s.Type != tc.want.Type || s.ID != tc.want.ID || s.From != tc.want.From || s.To != tc.want.To:
			t.Errorf("Parse(%s) = %+v, want %+v", tc.raw, s, tc.want)
		}
	}
}

func TestPresenceSubscribers(t *testing.T) {
	tests := []struct {
		raw  string
		want []string // nil with ok false
		ok   bool
	}{
		{raw: `<iq type='result' id='1'><query xmlns='jabber:iq:roster'>` +
			`<item jid='Alice@Localhost' subscription='both'/><item jid='bob@localhost/pc' subscription='from'/>` +
			`<item jid='carol@localhost' subscription='to'/><item jid='dave@localhost' subscription='none'/>` +
			`<item jid='@@' subscription='both'/><item subscription='both'/><other xmlns='x' jid='e@localhost' subscription='both'/>` +
			`</query></iq>`, want: []string{"alice@localhost", "bob@localhost"}, ok: true},
		{raw: `<iq type='result' id='1'/>`, want: []string{}, ok: true},
		{raw: `<iq type='result' id='1'><query xmlns='other'><item jid='a@x' subscription='both'/></query></iq>`, want: []string{}, ok: true},
		{raw: `<iq type='error' id='1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`},
	}
	for _, tc := range tests {
		got, ok := PresenceSubscribers(mustParse(t, tc.raw))
		if ok != tc.ok || !slices.Equal(slices.Sorted(maps.Keys(got)), tc.want) && tc.ok {
			t.Errorf("PresenceSubscribers(%s) = %v, %v; want %v, %v", tc.raw, slices.Sorted(maps.Keys(got)), ok, tc.want, tc.ok)
		}
	}
	if _, ok := PresenceSubscribers(nil); ok {
		t.Error("no answer (time-out) counted as a roster")
	}
}

func TestParseDiscoInfo(t *testing.T) {
	const amp = "http://jabber.org/protocol/amp"
	tests := []struct {
		raw          string
		amp, gateway bool
		answered     bool
	}{
		{`<iq type='result' id='1'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/><feature var='` + amp + `'/></query></iq>`, true, false, true},
		{`<iq type='result' id='1'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='gateway' type='irc'/></query></iq>`, false, true, true},
		{`<iq type='error' id='1'/>`, false, false, false},
		// A feature outside the disco#info query does not count.
		{`<iq type='result' id='1'><other xmlns='x'><feature var='` + amp + `'/></other></iq>`, false, false, true},
	}
	for _, tc := range tests {
		info, answered := ParseDiscoInfo(mustParse(t, tc.raw))
		if info.HasFeature(amp) != tc.amp || info.HasCategory("gateway") != tc.gateway || answered != tc.answered {
			t.Errorf("ParseDiscoInfo(%s) = %+v, %v", tc.raw, info, answered)
		}
	}
	if _, answered := ParseDiscoInfo(nil); answered {
		t.Error("no answer (time-out) counted as answered")
	}
}

func TestAppendAnswer(t *testing.T) {
	tests := []struct{ query, want string }{
		{`<iq type='get' from='alice@localhost/phone' to='amp.localhost' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq from='amp.localhost' to='alice@localhost/phone' id='p1' type='result'/>`},
		{`<iq type='get' from='a@x/r' to='amp.x' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
			`<iq from='amp.x' to='a@x/r' id='d1' type='result'><query xmlns='http://jabber.org/protocol/disco#info'>` +
				`<identity category='component' type='generic' name='ampd (XEP-0079 Advanced Message Processing)'/>` +
				`<feature var='http://jabber.org/protocol/disco#info'/><feature var='urn:xmpp:ping'/></query></iq>`},
		// A node ampd does not have, a set, and an unknown query are refused.
		{`<iq type='get' from='a@x/r' to='amp.x' id='d2'><query xmlns='http://jabber.org/protocol/disco#info' node='n'/></iq>`,
			`<iq from='amp.x' to='a@x/r' id='d2' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`},
		{`<iq type='set' from='a@x/r' to='amp.x' id='x1'><query xmlns='jabber:iq:version'/></iq>`,
			`<iq from='amp.x' to='a@x/r' id='x1' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`},
		{`<iq type='get' from='a&apos;b@x' to='amp.x' id='&lt;'/>`,
			`<iq from='amp.x' to='a&apos;b@x' id='&lt;' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`},
	}
	for _, tc := range tests {
		if got := string(AppendAnswer(nil, mustParse(t, tc.query))); got != tc.want {
			t.Errorf("answer to %s\n got %s\nwant %s", tc.query, got, tc.want)
		}
	}
}

func TestQueries(t *testing.T) {
	if got, want := string(AppendRosterQuery(nil, "amp.x", "bob@x", "ampd-1")), `<iq type='get' from='amp.x' to='bob@x' id='ampd-1'><query xmlns='jabber:iq:roster'/></iq>`; got != want {
		t.Errorf("roster query %s, want %s", got, want)
	}

}
