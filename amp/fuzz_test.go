package amp

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// addExampleSeeds adds the XEP-0079 examples to a fuzz corpus when the shared spec is there.
func addExampleSeeds(f *testing.F, add func(raw []byte)) {
	dir, err := os.Getwd()
	if err != nil {
		return
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			return
		}
	}
	for n := 1; n <= 26; n++ {
		raw, err := os.ReadFile(filepath.Join(dir, "..", "shared", "spec", "xep0079-examples", fmt.Sprintf("example-%02d.xml", n)))
		if err == nil {
			add(raw)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{chat, prefixed, typicalMessage, `<message/>`,
		`<message id='1'><amp xmlns='http://jabber.org/protocol/amp' status='x'/></message>`} {
		f.Add([]byte(s))
	}
	addExampleSeeds(f, func(raw []byte) { f.Add(raw) })
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m Message
		if err := ParseMessage(raw, &m); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not an *Error", err)
			}
			return
		}
		if m.Amp == nil {
			return
		}
		checkRaw(t, 0, &m)
		var s Message
		if err := ParseMessage(Stamp(&m), &s); err != nil {
			t.Fatalf("stamped message does not parse: %v", err)
		}
		if s.Amp == nil || !reflect.DeepEqual(rulesOf(&s), rulesOf(&m)) || s.Amp.From != m.From || s.Amp.To != m.To {
			t.Fatalf("stamp changed the amp: %+v → %+v", summarize(&m), summarize(&s))
		}
		// Replies are checked for well-formedness only where the input's characters are XML
		// Chars: xmlscan leaves that check to the XMPP server, and echoes copy the amp's bytes.
		if !xmlChars(raw) {
			return
		}
		for _, r := range m.Amp.Rules {
			if reply := ActionReply(&m, r, "example.org"); len(reply) > 0 {
				if err := wellFormed(reply); err != nil {
					t.Fatalf("action reply: %v\n%s", err, reply)
				}
			}
		}
		if reply := ErrorReply(&m, InvalidRules(m.Amp.Rules), "example.org"); wellFormed(reply) != nil {
			t.Fatalf("error reply: %v\n%s", wellFormed(reply), reply)
		}
	})
}

// xmlChars reports whether raw is UTF-8 of XML Chars and names encoding/xml accepts: ASCII.
func xmlChars(raw []byte) bool {
	for _, c := range raw {
		if c >= 0x80 || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func FuzzReplyBuilders(f *testing.F) {
	f.Add("notify", "deliver", "stored", "bernardo@hamlet.lit/elsinore", "francisco@hamlet.lit", "chatty2", "hamlet.lit", "text")
	f.Add("error", "expire-at", "2004-01-01T00:00:00Z", "a'b", `c"d`, "<&>", "\x00\xff", "\t\r\n")
	f.Add("alert", "", "\uFFFE", "", "", "", "", "")
	addExampleSeeds(f, func(raw []byte) {
		var m Message
		if ParseMessage(raw, &m) != nil || m.Amp == nil {
			return
		}
		for _, r := range m.Amp.Rules {
			f.Add(r.Action.Value, r.Condition.Value, r.Value.Value, m.From.Value, m.To.Value, m.ID.Value, "hamlet.lit", m.Amp.PerHop.Value)
		}
	})
	f.Fuzz(func(t *testing.T, action, condition, value, from, to, id, replyFrom, text string) {
		m := &Message{From: Attr{from, from != ""}, To: Attr{to, true}, ID: Attr{id, true}}
		rule := Rule{Action: Attr{action, true}, Condition: Attr{condition, condition != ""}, Value: Attr{value, true}}
		m.Amp = &Element{PerHop: Attr{text, true}, Rules: []Rule{rule}}
		outputs := [][]byte{
			ActionReply(m, rule, replyFrom),
			ErrorReply(m, InvalidRules(m.Amp.Rules), replyFrom),
			ErrorReply(m, &Error{Type: action, Code: value, Condition: condition, Text: text, App: id, Rules: m.Amp.Rules}, replyFrom),
		}
		for i, out := range outputs {
			if len(out) == 0 {
				continue
			}
			if err := wellFormed(out); err != nil {
				t.Fatalf("output %d is not well-formed: %v\n%q", i, err, out)
			}
			var back Message
			if err := ParseMessage(out, &back); err != nil {
				t.Fatalf("output %d does not parse: %v\n%q", i, err, out)
			}
		}
	})
}
