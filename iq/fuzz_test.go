package iq

import (
	"maps"
	"reflect"
	"slices"
	"testing"
)

var seeds = []string{
	`<iq type='result' id='1' from='bob@x' to='amp.x'><query xmlns='jabber:iq:roster'><item jid='a@x' subscription='both'/><item jid='b@x/r' subscription='from'/><item jid='c@x' subscription='to'/></query></iq>`,
	`<iq type='result' id='2' from='remote.example'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='gateway' type='irc' name='IRC &amp; more'/><feature var='http://jabber.org/protocol/amp'/></query></iq>`,
	`<iq type='error' id='3'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
	`<iq type='get' id='4' from='a@x/r' to='amp.x'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
	`<iq type='get' id='5' from='a@x/r' to='amp.x'><ping xmlns='urn:xmpp:ping'/></iq>`,
	`<iq type='set' id='6'/>`,
}

// FuzzParse: any bytes are read or refused without a panic; a parsed get or set gets one
// well-formed answer to its sender with its id.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := Parse([]byte(raw))
		if err != nil || s.IsAnswer() {
			return
		}
		a, err := Parse(AppendAnswer(nil, &s))
		if err != nil {
			t.Fatalf("answer to %q does not parse: %v", raw, err)
		}
		if !a.IsAnswer() || a.ID != s.ID || a.To != s.From || a.From != s.To {
			t.Fatalf("answer %+v does not answer %+v", a, s)
		}
	})
}

// FuzzPresenceSubscribers: the subscribers read from an answer, written as a roster result
// and read again, are the same set.
func FuzzPresenceSubscribers(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := Parse([]byte(raw))
		if err != nil {
			return
		}
		subs, ok := PresenceSubscribers(&s)
		if !ok {
			return
		}
		var items []RosterItem
		for _, j := range slices.Sorted(maps.Keys(subs)) {
			items = append(items, RosterItem{JID: j, Subscription: "both"})
		}
		again, err := Parse(AppendRosterResult(nil, s.From, s.To, s.ID, items))
		if err != nil {
			t.Fatalf("built roster does not parse: %v", err)
		}
		subs2, ok := PresenceSubscribers(&again)
		if !ok || !maps.Equal(subs, subs2) {
			t.Fatalf("subscribers %v read back as %v", subs, subs2)
		}
	})
}

// FuzzParseDiscoInfo: a disco#info answer, written again and read again, says the same.
func FuzzParseDiscoInfo(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := Parse([]byte(raw))
		if err != nil {
			return
		}
		info, answered := ParseDiscoInfo(&s)
		if !answered {
			if len(info.Features)+len(info.Identities) != 0 {
				t.Fatalf("unanswered but %+v", info)
			}
			return
		}
		// A name that is empty is left out when written, and reads back as empty: the same.
		again, err := Parse(AppendDiscoInfoResult(nil, s.From, s.To, s.ID, info))
		if err != nil {
			t.Fatalf("built disco#info does not parse: %v", err)
		}
		info2, answered := ParseDiscoInfo(&again)
		if !answered || !reflect.DeepEqual(normal(info), normal(info2)) {
			t.Fatalf("%+v read back as %+v", info, info2)
		}
	})
}

// normal makes nil and empty lists alike.
func normal(info DiscoInfo) DiscoInfo {
	if len(info.Identities) == 0 {
		info.Identities = nil
	}
	if len(info.Features) == 0 {
		info.Features = nil
	}
	return info
}
