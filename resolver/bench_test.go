package resolver

import (
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

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
