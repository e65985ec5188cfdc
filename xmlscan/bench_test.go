package xmlscan

import "testing"

// stanza is a typical ~750-byte chat message with a body, extension payloads and an amp.
const stanza = `<message xmlns='jabber:client' from='romeo@montague.example/orchard-4f2a' to='juliet@capulet.example' id='c7a1f0e2-9b3d-4e55-8a61-2f4b9d0c1e77' type='chat' xml:lang='en'>` +
	`<body>Did my heart love till now? Forswear it, sight! For I ne&apos;er saw true beauty till this night.</body>` +
	`<active xmlns='http://jabber.org/protocol/chatstates'/>` +
	`<request xmlns='urn:xmpp:receipts'/>` +
	`<origin-id xmlns='urn:xmpp:sid:0' id='5a3d1c9e-2f6b-4e8a-9c7d-1b2e3f4a5b6c'/>` +
	`<x xmlns='urn:example:unknown' kind='sonnet'><line n='1'>Two households</line><line n='2'>both alike in dignity</line></x>` +
	`<amp xmlns='http://jabber.org/protocol/amp'>` +
	`<rule action='notify' condition='deliver' value='stored'/>` +
	`<rule action='drop' condition='expire-at' value='2026-11-21T12:00:00Z'/>` +
	`</amp></message>`

func BenchmarkParse(b *testing.B) {
	doc := []byte(stanza)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChildren(b *testing.B) {
	doc := []byte(stanza)
	root, err := Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for c := root.Children(); c.Next(); {
			el := c.Element()
			if el.Is("http://jabber.org/protocol/amp", "amp") {
				for r := el.Children(); r.Next(); {
					n++
				}
			}
		}
		if n != 2 {
			b.Fatal(n)
		}
	}
}
