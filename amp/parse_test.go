package amp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parsed is the comparable part of a Message: everything but the raw bytes.
type parsed struct {
	From, To, ID, Type, Lang Attr
	HasAmp                   bool
	Status, PerHop           Attr
	AmpFrom, AmpTo           Attr
	Rules                    [][3]Attr
}

func summarize(m *Message) parsed {
	p := parsed{From: m.From, To: m.To, ID: m.ID, Type: m.Type, Lang: m.Lang}
	if m.Amp != nil {
		p.HasAmp = true
		p.Status, p.PerHop, p.AmpFrom, p.AmpTo = m.Amp.Status, m.Amp.PerHop, m.Amp.From, m.Amp.To
		for _, r := range m.Amp.Rules {
			p.Rules = append(p.Rules, [3]Attr{r.Action, r.Condition, r.Value})
		}
	}
	return p
}

func v(s string) Attr { return Attr{Value: s, Present: true} }

// rule3 is a rule's action, condition and value as parsed.
func rule3(action, condition, value string) [3]Attr {
	return [3]Attr{v(action), v(condition), v(value)}
}

func TestParseMessage(t *testing.T) {
	tests := [...]struct {
		in   string
		want parsed
	}{
		0: {`<message xmlns='jabber:client' from='a@b/c' to='d@e' id='m1' type='chat' xml:lang='en'><body>hi</body>` +
			`<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>`,
			parsed{From: v("a@b/c"), To: v("d@e"), ID: v("m1"), Type: v("chat"), Lang: v("en"), HasAmp: true,
				Rules: [][3]Attr{rule3("notify", "deliver", "stored")}}},
		// A prefixed amp; an unprefixed rule inside it is in jabber:client, not a rule.
		1: {`<message xmlns='jabber:client' xmlns:x='http://jabber.org/protocol/amp' id='m1'><x:amp per-hop='true'>` +
			`<x:rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/><rule action='alert' condition='deliver' value='none'/></x:amp></message>`,
			parsed{ID: v("m1"), HasAmp: true, PerHop: v("true"),
				Rules: [][3]Attr{rule3("drop", "expire-at", "2004-01-01T00:00:00Z")}}},
		// Missing and empty attributes told apart.
		2: {`<message id=''><amp xmlns='http://jabber.org/protocol/amp'><rule action='' condition='deliver'/></amp></message>`,
			parsed{ID: v(""), HasAmp: true, Rules: [][3]Attr{{v(""), v("deliver"), {}}}}},
		// Unknown attributes and children ignored, rules of other namespaces ignored.
		3: {`<message id='m' foo='bar'><amp xmlns='http://jabber.org/protocol/amp' x='1'><note>n</note>` +
			`<rule xmlns='urn:other' action='drop' condition='deliver' value='none'/>` +
			`<rule action='alert' condition='deliver' value='none' extra='e'><child/></rule></amp></message>`,
			parsed{ID: v("m"), HasAmp: true, Rules: [][3]Attr{rule3("alert", "deliver", "none")}}},
		// References and attribute-value normalization.
		4: {"<message id=\"a&amp;b\"><amp xmlns='http://jabber.org/protocol/amp'><rule action='n&#x6F;tify' condition=\"a\nb\" value='&lt;&apos;&quot;&gt;'/></amp></message>",
			parsed{ID: v("a&b"), HasAmp: true, Rules: [][3]Attr{rule3("notify", "a b", `<'">`)}}},
		// Only the first amp counts.
		5: {`<message><amp xmlns='http://jabber.org/protocol/amp'><rule action='a' condition='b' value='c'/></amp>` +
			`<amp xmlns='http://jabber.org/protocol/amp'><rule action='d' condition='e' value='f'/></amp></message>`,
			parsed{HasAmp: true, Rules: [][3]Attr{rule3("a", "b", "c")}}},
		// An amp in another namespace, or deeper down, is not the message's amp.
		6: {`<message><amp xmlns='urn:not-amp'><rule action='a' condition='b' value='c'/></amp>` +
			`<x><amp xmlns='http://jabber.org/protocol/amp'><rule action='a' condition='b' value='c'/></amp></x></message>`,
			parsed{}},
		7: {`<message from='a@b'><body>no amp</body></message>`, parsed{From: v("a@b")}},
		// Reply attributes on the amp.
		8: {`<message type='error'><amp xmlns='http://jabber.org/protocol/amp' status='alert' from='a@b/c' to='d@e'/></message>`,
			parsed{Type: v("error"), HasAmp: true, Status: v("alert"), AmpFrom: v("a@b/c"), AmpTo: v("d@e")}},
		// A prefixed message root and a default namespace inherited by the amp.
		9: {`<c:message xmlns:c='jabber:client' xmlns='http://jabber.org/protocol/amp' id='m'><amp><rule action='a' condition='b' value='c'/></amp></c:message>`,
			parsed{ID: v("m"), HasAmp: true, Rules: [][3]Attr{rule3("a", "b", "c")}}},
		// More attributes than the scanner records (it lexes them again).
		11: {`<message a1='' a2='' a3='' a4='' a5='' a6='' a7='' a8='' a9='' from='x@y' id='m'><amp xmlns='http://jabber.org/protocol/amp'>` +
			`<rule b1='' b2='' b3='' b4='' b5='' b6='' b7='' b8='' b9='' value='v' condition='c' action='a'/></amp></message>`,
			parsed{From: v("x@y"), ID: v("m"), HasAmp: true, Rules: [][3]Attr{rule3("a", "c", "v")}}},
		// An empty ruleset.
		10: {`<message id='m'><amp xmlns='http://jabber.org/protocol/amp'></amp></message>`,
			parsed{ID: v("m"), HasAmp: true}},
	}
	for i, tc := range tests {
		var m Message
		if err := ParseMessage([]byte(tc.in), &m); err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if got := summarize(&m); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d:\n got %+v\nwant %+v", i, got, tc.want)
		}
		checkRaw(t, i, &m)
	}
}

// checkRaw checks that the raw slices of m are where its offsets say.
func checkRaw(t *testing.T, i int, m *Message) {
	t.Helper()
	if m.Amp == nil {
		return
	}
	a := m.Amp
	if string(a.Raw) != string(m.Raw[a.Start:a.End]) || !strings.HasSuffix(string(a.Raw), ">") {
		t.Errorf("%d: amp Raw %q is not m.Raw[%d:%d]", i, a.Raw, a.Start, a.End)
	}
	for _, r := range a.Rules {
		if !strings.Contains(string(a.Raw), string(r.Raw)) || !strings.HasSuffix(string(r.Raw), ">") {
			t.Errorf("%d: rule Raw %q not inside the amp", i, r.Raw)
		}
	}
}

func TestParseMessageErrors(t *testing.T) {
	tests := [...]string{
		0: ``,
		1: `<message>`,
		2: `<message><amp xmlns='http://jabber.org/protocol/amp'><rule action='a&x;'/></amp></message>`,
		3: `<iq type='get' id='1'/>`,
		4: `<message id='1' id='2'/>`,
		5: "\x00\xff<",
	}
	for i, in := range tests {
		var m Message
		err := ParseMessage([]byte(in), &m)
		var e *Error
		if !errors.As(err, &e) || e.Condition != "bad-request" || e.Type != "modify" || e.Code != "400" ||
			!strings.HasPrefix(e.Text, "not-well-formed: ") {
			t.Errorf("%d: ParseMessage(%q) = %#v", i, in, err)
		}
		if m.Amp != nil || m.ID.Present || string(m.Raw) != in {
			t.Errorf("%d: m not reset: %+v", i, m)
		}
	}
}

func TestParseMessageReusesStorage(t *testing.T) {
	var m Message
	first := `<message id='1'><amp xmlns='http://jabber.org/protocol/amp'><rule action='a' condition='b' value='c'/><rule action='d' condition='e' value='f'/></amp></message>`
	if err := ParseMessage([]byte(first), &m); err != nil {
		t.Fatal(err)
	}
	el := m.Amp
	second := `<message id='2'><amp xmlns='http://jabber.org/protocol/amp'><rule action='g' condition='h' value='i'/></amp></message>`
	if err := ParseMessage([]byte(second), &m); err != nil {
		t.Fatal(err)
	}
	if m.Amp != el || len(m.Amp.Rules) != 1 || m.Amp.Rules[0].Action.Value != "g" || m.ID.Value != "2" {
		t.Errorf("second parse: %+v", summarize(&m))
	}
	if err := ParseMessage([]byte(`<message id='3'/>`), &m); err != nil {
		t.Fatal(err)
	}
	if m.Amp != nil {
		t.Error("a message without amp keeps the previous amp")
	}
}

func TestIsRequest(t *testing.T) {
	tests := [...]struct {
		in   string
		want bool
	}{
		0: {`<message><amp xmlns='http://jabber.org/protocol/amp'><rule/></amp></message>`, true},
		1: {`<message><amp xmlns='http://jabber.org/protocol/amp' status='notify'><rule/></amp></message>`, false},
		2: {`<message type='error'><amp xmlns='http://jabber.org/protocol/amp'><rule/></amp></message>`, false},
		3: {`<message/>`, false},
	}
	for i, tc := range tests {
		var m Message
		if err := ParseMessage([]byte(tc.in), &m); err != nil {
			t.Fatal(i, err)
		}
		if m.IsRequest() != tc.want {
			t.Errorf("%d: IsRequest() = %v", i, !tc.want)
		}
	}
}

// TestParseMessageManyValues covers more plain values than the parser gathers in place and
// more bytes than its stack buffer holds.
func TestParseMessageManyValues(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<message from='a@b/c' to='d@e' id='m'><amp xmlns='http://jabber.org/protocol/amp'>`)
	var want [][3]Attr
	for i := range 12 {
		value := strings.Repeat(string(rune('a'+i)), 40)
		b.WriteString(`<rule action='notify' condition='expire-at' value='` + value + `'/>`)
		want = append(want, rule3("notify", "expire-at", value))
	}
	b.WriteString(`</amp></message>`)
	var m Message
	if err := ParseMessage([]byte(b.String()), &m); err != nil {
		t.Fatal(err)
	}
	got := summarize(&m)
	if !reflect.DeepEqual(got.Rules, want) || got.From != v("a@b/c") || got.ID != v("m") {
		t.Errorf("got %+v", got)
	}
}
