package amp

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/xmlscan"
	"pgregory.net/rapid"
)

var (
	// genText draws strings of XML Chars rich in what needs escaping.
	genText = rapid.StringOf(rapid.SampledFrom([]rune("ab-@/.:<>&'\"\t\n\r é€\U0001F600")))
	genAttr = rapid.Custom(func(t *rapid.T) Attr {
		if rapid.IntRange(0, 5).Draw(t, "missing") == 0 {
			return Attr{}
		}
		return Attr{Value: genText.Draw(t, "value"), Present: true}
	})
	genRule = rapid.Custom(func(t *rapid.T) Rule {
		return Rule{Action: genAttr.Draw(t, "action"), Condition: genAttr.Draw(t, "condition"), Value: genAttr.Draw(t, "value")}
	})
)

// secret marks what no reply may carry.
const secret = "SECRET-PAYLOAD"

// genMessage draws the bytes of a message with a body, payload children and an amp, written
// in varied styles (quotes, spacing, prefixes, attribute order).
type genMsg struct {
	raw   string
	from  Attr
	to    Attr
	id    Attr
	rules []Rule
}

func writeAttr(t *rapid.T, b *strings.Builder, name string, a Attr) {
	if !a.Present {
		return
	}
	q := rapid.SampledFrom([]string{"'", `"`}).Draw(t, "quote")
	sp := rapid.SampledFrom([]string{" ", "\n  ", "\t"}).Draw(t, "space")
	b.WriteString(sp + name + "=" + q + string(xmlscan.AppendEscaped(nil, a.Value)) + q)
}

func drawMessage(t *rapid.T) genMsg {
	g := genMsg{from: genAttr.Draw(t, "from"), to: genAttr.Draw(t, "to"), id: genAttr.Draw(t, "id"),
		rules: rapid.SliceOfN(genRule, 0, 4).Draw(t, "rules")}
	prefix := rapid.SampledFrom([]string{"", "a:"}).Draw(t, "prefix")
	var b strings.Builder
	b.WriteString("<message xmlns='jabber:client'")
	if prefix != "" {
		b.WriteString(" xmlns:a='" + NS + "'")
	}
	writeAttr(t, &b, "from", g.from)
	writeAttr(t, &b, "to", g.to)
	writeAttr(t, &b, "id", g.id)
	b.WriteString(">")
	payload := func(i int) {
		switch rapid.IntRange(0, 3).Draw(t, "payload") {
		case 0:
			fmt.Fprintf(&b, "<body>%s %d</body>", secret, i)
		case 1:
			fmt.Fprintf(&b, "<x%d xmlns='urn:%s:%d' k='%s'><y>%s</y></x%d>", i, secret, i, secret, secret, i)
		case 2:
			fmt.Fprintf(&b, "<z xmlns='urn:z'><![CDATA[%s <amp/>]]></z>", secret)
		}
	}
	payload(0)
	b.WriteString("<" + prefix + "amp")
	if prefix == "" {
		b.WriteString(" xmlns='" + NS + "'")
	}
	writeAttr(t, &b, "per-hop", genAttr.Draw(t, "per-hop"))
	writeAttr(t, &b, "from", genAttr.Draw(t, "amp-from"))
	writeAttr(t, &b, "to", genAttr.Draw(t, "amp-to"))
	b.WriteString(">")
	for _, r := range g.rules {
		b.WriteString("<" + prefix + "rule")
		writeAttr(t, &b, "value", r.Value)
		writeAttr(t, &b, "unknown", genAttr.Draw(t, "unknown"))
		writeAttr(t, &b, "action", r.Action)
		writeAttr(t, &b, "condition", r.Condition)
		b.WriteString(rapid.SampledFrom([]string{"/>", "></" + prefix + "rule>", " />"}).Draw(t, "close"))
	}
	b.WriteString("</" + prefix + "amp>")
	payload(1)
	b.WriteString("</message>")
	g.raw = b.String()
	return g
}

func rulesOf(m *Message) []Rule {
	var rs []Rule
	for _, r := range m.Amp.Rules {
		r.Raw = nil
		rs = append(rs, r)
	}
	return rs
}

func TestPropertyParseStampParse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawMessage(t)
		var m Message
		if err := ParseMessage([]byte(g.raw), &m); err != nil {
			t.Fatalf("ParseMessage(%q): %v", g.raw, err)
		}
		if m.From != g.from || m.To != g.to || m.ID != g.id || !reflect.DeepEqual(rulesOf(&m), nonEmpty(g.rules)) {
			t.Fatalf("parsed %+v, generated %+v", summarize(&m), g)
		}
		stamped := Stamp(&m)
		var s Message
		if err := ParseMessage(stamped, &s); err != nil {
			t.Fatalf("stamped message does not parse: %v\n%s", err, stamped)
		}
		if s.From != m.From || s.To != m.To || s.ID != m.ID || s.Amp.PerHop != m.Amp.PerHop ||
			s.Amp.From != m.From || s.Amp.To != m.To || !reflect.DeepEqual(rulesOf(&s), rulesOf(&m)) {
			t.Fatalf("stamped %+v\noriginal %+v", summarize(&s), summarize(&m))
		}
		// Every byte outside the amp start tag is the original's.
		oldTag := startTagEnd(t, m.Amp.Raw)
		newTag := startTagEnd(t, s.Amp.Raw)
		if !bytes.Equal(stamped[:s.Amp.Start], m.Raw[:m.Amp.Start]) ||
			!bytes.Equal(stamped[s.Amp.Start+newTag:], m.Raw[m.Amp.Start+oldTag:]) {
			t.Fatalf("bytes outside the amp start tag changed:\n%s\n%s", m.Raw, stamped)
		}
	})
}

// nonEmpty makes an empty rule list nil, as the parser leaves it.
func nonEmpty(rs []Rule) []Rule {
	if len(rs) == 0 {
		return nil
	}
	return rs
}

// startTagEnd returns the length of the start tag of the element raw.
func startTagEnd(t *rapid.T, raw []byte) int {
	el, err := xmlscan.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	start, _ := el.InnerRange()
	if el.SelfClosing() {
		_, end := el.Range()
		return end
	}
	return start
}

func TestPropertyRepliesCarryNoPayload(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawMessage(t)
		m := mustParse(t, g.raw)
		var replies [][]byte
		for _, r := range m.Amp.Rules {
			replies = append(replies, ActionReply(m, r, "example.org"))
		}
		for _, e := range []*Error{UnsupportedActions(m.Amp.Rules), UnsupportedConditions(m.Amp.Rules),
			InvalidRules(m.Amp.Rules), MissingID(), EmptyRuleset(), ServiceUnavailable()} {
			replies = append(replies, ErrorReply(m, e, "example.org"))
		}
		for _, reply := range replies {
			if bytes.Contains(reply, []byte(secret)) || bytes.Contains(reply, []byte("<body")) {
				t.Fatalf("reply carries the payload:\n%s\nfrom\n%s", reply, g.raw)
			}
			if len(reply) > 0 {
				if err := wellFormed(reply); err != nil {
					t.Fatalf("reply is not well-formed: %v\n%s", err, reply)
				}
			}
		}
	})
}

func TestPropertyBuilderRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &Message{From: genAttr.Draw(t, "from"), To: genAttr.Draw(t, "to"), ID: genAttr.Draw(t, "id")}
		rule := genRule.Draw(t, "rule")
		if rule.Action.Value == "drop" {
			rule.Action.Value = "notify"
		}
		reply := ActionReply(m, rule, "example.org")
		r := mustParse(t, string(reply))
		if r.To != m.From || r.ID != m.ID || r.Amp == nil || r.Amp.From != m.From || r.Amp.To != m.To ||
			r.Amp.Status != (Attr{Value: rule.Action.Value, Present: true}) {
			t.Fatalf("reply %s\nreads back as %+v", reply, summarize(r))
		}
		rule.Raw = nil
		if got := rulesOf(r); len(got) != 1 || !reflect.DeepEqual(got[0], rule) {
			t.Fatalf("rule %+v reads back as %+v from %s", rule, got, reply)
		}
		e := ErrorReply(r, InvalidRules([]Rule{rule}), "example.org")
		if err := wellFormed(e); err != nil {
			t.Fatalf("error reply is not well-formed: %v\n%s", err, e)
		}
	})
}

func TestPropertyParseNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var doc []byte
		if rapid.Bool().Draw(t, "mutate") {
			doc = []byte(drawMessage(t).raw)
			for range rapid.IntRange(1, 4).Draw(t, "mutations") {
				if len(doc) == 0 {
					break
				}
				i := rapid.IntRange(0, len(doc)-1).Draw(t, "at")
				switch rapid.IntRange(0, 2).Draw(t, "how") {
				case 0:
					doc = append(doc[:i:i], doc[i+1:]...)
				case 1:
					doc[i] = rapid.Byte().Draw(t, "byte")
				case 2:
					doc = append(doc[:i:i], append([]byte{rapid.SampledFrom([]byte("<>/'\"&;=: x")).Draw(t, "ins")}, doc[i:]...)...)
				}
			}
		} else {
			doc = rapid.SliceOf(rapid.Byte()).Draw(t, "bytes")
		}
		var m Message
		if err := ParseMessage(doc, &m); err == nil {
			Stamp(&m)
			if m.Amp != nil {
				for _, r := range m.Amp.Rules {
					ActionReply(&m, r, "x")
				}
				ErrorReply(&m, InvalidRules(m.Amp.Rules), "x")
			}
		}
	})
}
