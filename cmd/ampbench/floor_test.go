package main

import (
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/route"
)

// The floor answers like ampd answers the e2e load, with ampd's reply builder: the notify of
// a deliver=stored rule for a recipient kept offline whose message the server stores, of a
// deliver=direct rule for an online one; nothing when no rule is met or there is no <amp/>.
func TestFloorReply(t *testing.T) {
	const notify = `<message xmlns='jabber:client' from='localhost' to='s0@localhost/bench' id='m1'>` +
		`<amp xmlns='http://jabber.org/protocol/amp' status='notify' from='s0@localhost/bench' to='o0@localhost'>` +
		`<rule action='notify' condition='deliver' value='stored'/></amp></message>`
	divert := func(to, offline, rules string) []byte {
		return []byte(`<message from='localhost' to='amp.localhost' id='x'><forwarded xmlns='urn:xmpp:forward:0'>` +
			`<message xmlns='jabber:client' from='s0@localhost/bench' to='` + to + `' type='chat' id='m1'><body>hi</body>` + rules + `</message>` +
			`</forwarded><route xmlns='urn:x-ampd:route:0' id='r1' origin='c2s' recipient='local' offline='` + offline + `'/></message>`)
	}
	tests := []struct {
		name, to, offline, rules, want string
	}{
		{"offline, stored", "o0@localhost", "store", e2eRules, notify},
		{"offline full JID", "o0@localhost/x", "store", e2eRules, strings.Replace(notify, "to='o0@localhost'", "to='o0@localhost/x'", 1)},
		{"online", "r0@localhost", "store", e2eRules, ""},
		{"not stored", "o0@localhost", "none", e2eRules, ""},
		{"offline, direct", "o0@localhost", "store", e2eRulesDirect, ""},
		{"online, direct", "r0@localhost", "store", e2eRulesDirect, strings.NewReplacer("to='o0@localhost'", "to='r0@localhost'", "'stored'", "'direct'").Replace(notify)},
		{"no amp", "o0@localhost", "store", "", ""},
	}
	f := newFloor("127.0.0.1:1", "amp.localhost", "s", "localhost", map[string]bool{"o0@localhost": true})
	for _, tt := range tests {
		div, err := route.ParseDivert(divert(tt.to, tt.offline, tt.rules))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := string(f.reply(div))
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
