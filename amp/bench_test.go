package amp

import "testing"

// typicalMessage is a ~600-byte chat message as a client sends it: a body, an extension
// payload ampd does not know, and a two-rule amp (deliver=stored notify, expire-at drop).
const typicalMessage = `<message xmlns='jabber:client' from='romeo@montague.example/orchard-4f2a' to='juliet@capulet.example' id='c7a1f0e2-9b3d-4e55-8a61-2f4b9d0c1e77' type='chat' xml:lang='en'>` +
	`<body>Did my heart love till now? Forswear it, sight! For I ne&apos;er saw true beauty till this night.</body>` +
	`<x xmlns='urn:example:unknown' kind='sonnet'><line n='1'>Two households</line><line n='2'>both alike in dignity</line></x>` +
	`<amp xmlns='http://jabber.org/protocol/amp'>` +
	`<rule action='notify' condition='deliver' value='stored'/>` +
	`<rule action='drop' condition='expire-at' value='2026-11-21T12:00:00Z'/>` +
	`</amp></message>`

func BenchmarkParseMessage(b *testing.B) {
	raw := []byte(typicalMessage)
	var m Message
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseMessage(raw, &m); err != nil {
			b.Fatal(err)
		}
	}
	if len(m.Amp.Rules) != 2 {
		b.Fatalf("parsed %d rules", len(m.Amp.Rules))
	}
}

func BenchmarkActionReply(b *testing.B) {
	var m Message
	if err := ParseMessage([]byte(typicalMessage), &m); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendActionReply(buf[:0], &m, m.Amp.Rules[0], "montague.example")
	}
}

func BenchmarkStamp(b *testing.B) {
	var m Message
	if err := ParseMessage([]byte(typicalMessage), &m); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendStamp(buf[:0], &m)
	}
}
