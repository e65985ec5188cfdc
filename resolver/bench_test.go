package resolver

import (
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
)

// typicalChat is a ~600-byte chat message with the two rules of a typical AMP client:
// notify if it would be stored, drop it after a deadline.
var typicalChat = []byte(`<message xmlns='jabber:client' from='romeo@montague.lit/orchard' ` +
	`to='juliet@capulet.lit' type='chat' id='a7c9e3f1-42b8-4d6e-9f0a-1b2c3d4e5f60' xml:lang='en'>` +
	`<body>` + strings.Repeat("But soft, what light through yonder window breaks? ", 4) + `</body>` +
	`<active xmlns='http://jabber.org/protocol/chatstates'/>` +
	`<amp xmlns='http://jabber.org/protocol/amp'>` +
	`<rule action='notify' condition='deliver' value='stored'/>` +
	`<rule action='drop' condition='expire-at' value='2030-01-01T00:00:00Z'/>` +
	`</amp></message>`)

// BenchmarkDecide is the per-message work of ampd on the message path minus I/O: parse the
// raw stanza, validate, compute the disposition and evaluate, for a typical two-rule chat
// message to an online recipient. From and to are parsed once outside the loop; see
// BenchmarkDecideWithJIDs for the cost of PRECIS.
//
// "reused" parses into the same amp.Message every time, as a worker that owns one does
// (ParseMessage reuses its storage); "fresh" allocates a new one per message.
func BenchmarkDecide(b *testing.B) {
	in := Input{
		From: romeo, To: juliet,
		Facts:     Facts{Recipient: RecipientLocal, OfflineStorage: true},
		Available: online, PresenceAuthorised: true,
		Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	f := DefaultFeatures()
	run := func(b *testing.B, next func() *amp.Message) {
		b.SetBytes(int64(len(typicalChat)))
		b.ReportAllocs()
		for b.Loop() {
			m := next()
			if err := amp.ParseMessage(typicalChat, m); err != nil {
				b.Fatal(err)
			}
			in.Message = m
			if d := Decide(in, f); d.Verdict != Deliver || d.Met != -1 {
				b.Fatal(d)
			}
		}
	}
	b.Run("reused", func(b *testing.B) {
		var m amp.Message
		run(b, func() *amp.Message { return &m })
	})
	b.Run("fresh", func(b *testing.B) {
		run(b, func() *amp.Message { return new(amp.Message) })
	})
}

// BenchmarkDecideWithJIDs is BenchmarkDecide plus jid.Parse of from and to, as the caller
// does for every message.
func BenchmarkDecideWithJIDs(b *testing.B) {
	in := Input{
		Facts:     Facts{Recipient: RecipientLocal, OfflineStorage: true},
		Available: online, PresenceAuthorised: true,
		Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	f := DefaultFeatures()
	b.SetBytes(int64(len(typicalChat)))
	b.ReportAllocs()
	for b.Loop() {
		var m amp.Message
		if err := amp.ParseMessage(typicalChat, &m); err != nil {
			b.Fatal(err)
		}
		var err error
		if in.From, err = jid.Parse(m.From.Value); err != nil {
			b.Fatal(err)
		}
		if in.To, err = jid.Parse(m.To.Value); err != nil {
			b.Fatal(err)
		}
		in.Message = &m
		if d := Decide(in, f); d.Verdict != Deliver || d.Met != -1 {
			b.Fatal(d)
		}
	}
}

// BenchmarkDecideOnly is validation + disposition + evaluation of an already parsed,
// typical two-rule message (deliver=stored notify, expire-at drop) to an online recipient.
func BenchmarkDecideOnly(b *testing.B) {
	m := request("chat", rule("notify", "deliver", "stored"), rule("drop", "expire-at", "2004-01-01T00:00:00Z"))
	in := local(m, online...)
	in.Now = time.Date(2003, 1, 1, 0, 0, 0, 0, time.UTC)
	f := DefaultFeatures()
	b.ReportAllocs()
	for b.Loop() {
		if d := Decide(in, f); d.Verdict != Deliver {
			b.Fatal(d)
		}
	}
}

// BenchmarkJIDParse is the PRECIS cost the caller pays to parse from and to.
func BenchmarkJIDParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jid.Parse("romeo@montague.lit/orchard"); err != nil {
			b.Fatal(err)
		}
		if _, err := jid.Parse("juliet@capulet.lit"); err != nil {
			b.Fatal(err)
		}
	}
}
