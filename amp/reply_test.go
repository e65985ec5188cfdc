package amp

import (
	"encoding/xml"
	"testing"
)

// fataler is what mustParse needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func mustParse(t fataler, raw string) *Message {
	t.Helper()
	var m Message
	if err := ParseMessage([]byte(raw), &m); err != nil {
		t.Fatalf("ParseMessage(%q): %v", raw, err)
	}
	return &m
}

const (
	// chat is a request with a body and a payload; no reply may carry either.
	chat = `<message xmlns='jabber:client' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit' type='chat' id='chatty2'>` +
		`<body>Who&apos;s there?</body><secret xmlns='urn:x'>payload</secret>` +
		`<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/>` +
		`<rule action='alert' condition='match-resource' value='other'/><rule action='error' condition='deliver' value='none'/>` +
		`<rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/></amp></message>`
	// prefixed relies on a prefix declared on the message.
	prefixed = `<message xmlns='jabber:client' xmlns:p='http://jabber.org/protocol/amp' from='a@b/c' to='d@e' id='i1'>` +
		`<body>b</body><p:amp per-hop='true'><p:rule action='drop' condition='deliver' value='x&amp;y'/></p:amp></message>`
)

func TestActionReply(t *testing.T) {
	m := mustParse(t, chat)
	odd := Rule{Action: v("notify"), Condition: v("c'<&>\""), Value: v("a\tb\nc")}
	tests := [...]struct {
		m    *Message
		rule Rule
		from string
		want string
	}{
		0: {m, m.Amp.Rules[0], "hamlet.lit",
			`<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2'>` +
				`<amp xmlns='http://jabber.org/protocol/amp' status='notify' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'>` +
				`<rule action='notify' condition='deliver' value='stored'/></amp></message>`},
		1: {m, m.Amp.Rules[1], "amp.hamlet.lit",
			`<message xmlns='jabber:client' from='amp.hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2'>` +
				`<amp xmlns='http://jabber.org/protocol/amp' status='alert' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'>` +
				`<rule action='alert' condition='match-resource' value='other'/></amp></message>`},
		2: {m, m.Amp.Rules[2], "hamlet.lit",
			`<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2' type='error'>` +
				`<amp xmlns='http://jabber.org/protocol/amp' status='error' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'>` +
				`<rule action='error' condition='deliver' value='none'/></amp>` +
				`<error type='modify' code='500'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<failed-rules xmlns='http://jabber.org/protocol/amp#errors'><rule action='error' condition='deliver' value='none'/></failed-rules>` +
				`</error></message>`},
		3: {m, m.Amp.Rules[3], "hamlet.lit", ``},
		4: {m, odd, "hamlet.lit",
			`<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2'>` +
				`<amp xmlns='http://jabber.org/protocol/amp' status='notify' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'>` +
				`<rule action='notify' condition='c&apos;&lt;&amp;&gt;&quot;' value='a&#9;b&#10;c'/></amp></message>`},
		// No from, no id, no reply-from: left out. A rule without value.
		5: {mustParse(t, `<message to='x@y'><amp xmlns='http://jabber.org/protocol/amp'/></message>`),
			Rule{Action: v("notify"), Condition: v("deliver")}, "",
			`<message xmlns='jabber:client'><amp xmlns='http://jabber.org/protocol/amp' status='notify' to='x@y'>` +
				`<rule action='notify' condition='deliver'/></amp></message>`},
	}
	for i, tc := range tests {
		got := string(ActionReply(tc.m, tc.rule, tc.from))
		if got != tc.want {
			t.Errorf("%d:\n got %s\nwant %s", i, got, tc.want)
		}
		if got != "" {
			checkWellFormed(t, i, got)
		}
	}
}

func TestErrorReply(t *testing.T) {
	m := mustParse(t, chat)
	p := mustParse(t, prefixed)
	echo := `<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/>` +
		`<rule action='alert' condition='match-resource' value='other'/><rule action='error' condition='deliver' value='none'/>` +
		`<rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/></amp>`
	start := `<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2' type='error'>`
	tests := [...]struct {
		m    *Message
		e    *Error
		want string
	}{
		0: {m, UnsupportedActions(m.Amp.Rules[3:]), start + echo +
			`<error type='modify' code='400'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
			`<unsupported-actions xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/></unsupported-actions>` +
			`</error></message>`},
		1: {m, UnsupportedConditions(m.Amp.Rules[1:3]), start + echo +
			`<error type='modify' code='400'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
			`<unsupported-conditions xmlns='http://jabber.org/protocol/amp'><rule action='alert' condition='match-resource' value='other'/>` +
			`<rule action='error' condition='deliver' value='none'/></unsupported-conditions></error></message>`},
		2: {m, InvalidRules(m.Amp.Rules[:1]), start + echo +
			`<error type='modify' code='406'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
			`<invalid-rules xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></invalid-rules>` +
			`</error></message>`},
		3: {mustParse(t, `<message from='a@b/c' to='d@e'><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='none'/></amp></message>`),
			MissingID(),
			`<message xmlns='jabber:client' from='hamlet.lit' to='a@b/c' type='error'>` +
				`<amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='none'/></amp>` +
				`<error type='modify' code='400'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>an AMP message requires an id</text></error></message>`},
		4: {mustParse(t, `<message from='a@b/c' id=''><amp xmlns='http://jabber.org/protocol/amp'/></message>`),
			EmptyRuleset(),
			`<message xmlns='jabber:client' from='hamlet.lit' to='a@b/c' id='' type='error'>` +
				`<amp xmlns='http://jabber.org/protocol/amp'/>` +
				`<error type='modify' code='400'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>an amp element requires at least one rule</text></error></message>`},
		5: {m, ServiceUnavailable(), start + echo +
			`<error type='cancel' code='503'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`},
		// An amp relying on the message's prefix is written anew.
		6: {p, InvalidRules(p.Amp.Rules),
			`<message xmlns='jabber:client' from='hamlet.lit' to='a@b/c' id='i1' type='error'>` +
				`<amp xmlns='http://jabber.org/protocol/amp' per-hop='true'><rule action='drop' condition='deliver' value='x&amp;y'/></amp>` +
				`<error type='modify' code='406'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<invalid-rules xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='x&amp;y'/></invalid-rules>` +
				`</error></message>`},
		// A self-contained prefixed amp is echoed as is.
		7: {mustParse(t, `<message id='i'><x:amp xmlns:x='http://jabber.org/protocol/amp' xmlns='http://jabber.org/protocol/amp'><rule action='a' condition='b' value='c'/></x:amp></message>`),
			ServiceUnavailable(),
			`<message xmlns='jabber:client' from='hamlet.lit' id='i' type='error'>` +
				`<x:amp xmlns:x='http://jabber.org/protocol/amp' xmlns='http://jabber.org/protocol/amp'><rule action='a' condition='b' value='c'/></x:amp>` +
				`<error type='cancel' code='503'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`},
		// An Error filled by hand with names that are not XML names stays well-formed.
		8: {mustParse(t, `<message id='i'/>`), &Error{Condition: "<bad>", App: "", Text: "a<b"},
			`<message xmlns='jabber:client' from='hamlet.lit' id='i' type='error'>` +
				`<error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>a&lt;b</text></error></message>`},
	}
	for i, tc := range tests {
		got := string(ErrorReply(tc.m, tc.e, "hamlet.lit"))
		if got != tc.want {
			t.Errorf("%d:\n got %s\nwant %s", i, got, tc.want)
		}
		checkWellFormed(t, i, got)
	}
}

func TestStamp(t *testing.T) {
	tests := [...]struct{ in, want string }{
		0: {chat, `<message xmlns='jabber:client' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit' type='chat' id='chatty2'>` +
			`<body>Who&apos;s there?</body><secret xmlns='urn:x'>payload</secret>` +
			`<amp xmlns='http://jabber.org/protocol/amp' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'><rule action='notify' condition='deliver' value='stored'/>` +
			`<rule action='alert' condition='match-resource' value='other'/><rule action='error' condition='deliver' value='none'/>` +
			`<rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/></amp></message>`},
		// Existing from/to replaced, other attributes and spacing kept, self-closing kept.
		1: {"<message from='a&amp;b@c/d' to='e@f'><amp  from='old'\n per-hop=\"true\"  to='old' xmlns='http://jabber.org/protocol/amp' /></message>",
			"<message from='a&amp;b@c/d' to='e@f'><amp\n per-hop=\"true\" xmlns='http://jabber.org/protocol/amp' from='a&amp;b@c/d' to='e@f' /></message>"},
		2: {prefixed, `<message xmlns='jabber:client' xmlns:p='http://jabber.org/protocol/amp' from='a@b/c' to='d@e' id='i1'>` +
			`<body>b</body><p:amp per-hop='true' from='a@b/c' to='d@e'><p:rule action='drop' condition='deliver' value='x&amp;y'/></p:amp></message>`},
		3: {`<message to='x'><body/></message>`, `<message to='x'><body/></message>`},
		// A message without from: the amp loses its from.
		4: {`<message to='x'><amp xmlns='http://jabber.org/protocol/amp' from='y'/></message>`,
			`<message to='x'><amp xmlns='http://jabber.org/protocol/amp' to='x'/></message>`},
	}
	for i, tc := range tests {
		got := string(Stamp(mustParse(t, tc.in)))
		if got != tc.want {
			t.Errorf("%d:\n got %s\nwant %s", i, got, tc.want)
		}
	}
}

// checkWellFormed checks out with encoding/xml, an independent parser.
func checkWellFormed(t testing.TB, i int, doc string) {
	t.Helper()
	if err := wellFormed([]byte(doc)); err != nil {
		t.Errorf("%d: output is not well-formed (%v): %s", i, err, doc)
	}
}

func wellFormed(doc []byte) error {
	var v struct{}
	return xml.Unmarshal(doc, &v)
}

// A request from another server names its original sender and recipient on its <amp/>: the
// reply goes to the message's from but its <amp from to> are the stamped addresses.
func TestActionReplyStamped(t *testing.T) {
	m := mustParse(t, `<message xmlns='jabber:client' from='relay.example/x' to='francisco@hamlet.lit' id='s1'>`+
		`<amp xmlns='http://jabber.org/protocol/amp' from='bernardo@elsinore.lit/tower' to='francisco@hamlet.lit/watch'>`+
		`<rule action='alert' condition='deliver' value='stored'/></amp></message>`)
	got := string(AppendActionReplyStamped(nil, m, m.Amp.Rules[0], "hamlet.lit", m.Amp.From, m.Amp.To))
	want := `<message xmlns='jabber:client' from='hamlet.lit' to='relay.example/x' id='s1'>` +
		`<amp xmlns='http://jabber.org/protocol/amp' status='alert' from='bernardo@elsinore.lit/tower' to='francisco@hamlet.lit/watch'>` +
		`<rule action='alert' condition='deliver' value='stored'/></amp></message>`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if plain := string(ActionReply(m, m.Amp.Rules[0], "hamlet.lit")); plain == got {
		t.Errorf("ActionReply uses the stamped addresses too: %s", plain)
	}
}
