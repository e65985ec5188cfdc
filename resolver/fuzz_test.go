package resolver

import (
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
)

// FuzzDecide feeds raw message bytes through the whole pure path — amp.ParseMessage, Decide,
// Reply — under several recipient states. It must never panic, and every decision must be
// exactly one outcome.
func FuzzDecide(f *testing.F) {
	f.Add(typicalChat, uint8(0))
	f.Add([]byte(`<message to='juliet@capulet.lit/phone' from='romeo@montague.lit/x' id='1'><amp xmlns='http://jabber.org/protocol/amp' per-hop='true'><rule action='error' condition='match-resource' value='other'/><rule action='alert' condition='expire-at' value='2004-09-10T08:33:14.5-00:00'/></amp></message>`), uint8(3))
	f.Add([]byte(`<message id=''><amp xmlns='http://jabber.org/protocol/amp'/></message>`), uint8(1))
	f.Add([]byte(`<message id='x'><amp xmlns='http://jabber.org/protocol/amp'><rule action='bounce' condition='deliver'/><rule condition='x' action='drop' value='&amp;'/></amp></message>`), uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, state uint8) {
		var m amp.Message
		if amp.ParseMessage(raw, &m) != nil || !m.IsRequest() {
			return
		}
		in := Input{
			Message: &m,
			Facts: Facts{
				Recipient:      RecipientKind(state % 4),
				OfflineStorage: state&4 != 0,
				Gateway:        state&64 != 0,
				Forwarded:      state&128 != 0,
			},
			PresenceAuthorised: state&8 != 0,
			Now:                time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		if state&16 != 0 {
			in.Available = []Resource{{"phone", 0}, {"laptop", -1}}
		}
		// Unparsable addresses stay zero JIDs, which the resolver must also survive.
		in.From, _ = jid.Parse(m.From.Value)
		in.To, _ = jid.Parse(m.To.Value)
		d := Decide(in, DefaultFeatures())
		if d.Err != nil && (d.Met != -1 || d.Verdict != Discard) {
			t.Fatalf("a refusal with a met rule: %+v", d)
		}
		if d.Met >= len(m.Amp.Rules) {
			t.Fatalf("met rule %d of %d", d.Met, len(m.Amp.Rules))
		}
		reply := Reply(in, d, "capulet.lit")
		if (d.Action == "drop" || d.Err == nil && d.Met < 0) && reply != nil {
			t.Fatalf("%+v replied %s", d, reply)
		}
		if reply != nil {
			var back amp.Message
			if err := amp.ParseMessage(reply, &back); err != nil {
				t.Fatalf("reply is not a well-formed message: %v\n%s", err, reply)
			}
		}
	})
}
