package amp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// stdMessage is a message as encoding/xml reads it: the independent expectation for
// ParseMessage on the XEP examples.
type stdMessage struct {
	XMLName xml.Name
	From    *string `xml:"from,attr"`
	To      *string `xml:"to,attr"`
	ID      *string `xml:"id,attr"`
	Type    *string `xml:"type,attr"`
	Lang    *string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Amp     []struct {
		Status *string `xml:"status,attr"`
		PerHop *string `xml:"per-hop,attr"`
		From   *string `xml:"from,attr"`
		To     *string `xml:"to,attr"`
		Rules  []struct {
			Action    *string `xml:"action,attr"`
			Condition *string `xml:"condition,attr"`
			Value     *string `xml:"value,attr"`
		} `xml:"http://jabber.org/protocol/amp rule"`
	} `xml:"http://jabber.org/protocol/amp amp"`
}

func opt(p *string) Attr {
	if p == nil {
		return Attr{}
	}
	return v(*p)
}

func stdParse(t *testing.T, raw []byte) parsed {
	t.Helper()
	var x stdMessage
	if err := xml.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	p := parsed{From: opt(x.From), To: opt(x.To), ID: opt(x.ID), Type: opt(x.Type), Lang: opt(x.Lang)}
	if len(x.Amp) > 0 {
		a := x.Amp[0]
		p.HasAmp = true
		p.Status, p.PerHop, p.AmpFrom, p.AmpTo = opt(a.Status), opt(a.PerHop), opt(a.From), opt(a.To)
		for _, r := range a.Rules {
			p.Rules = append(p.Rules, [3]Attr{opt(r.Action), opt(r.Condition), opt(r.Value)})
		}
	}
	return p
}

func TestExamplesParse(t *testing.T) {
	// 11 is a reply, but a defective one (no status, no type='error'): by amp-semantics §1 it
	// reads as a request.
	requests := map[int]bool{5: true, 6: true, 10: true, 11: true, 12: true, 13: true, 14: true, 16: true, 18: true, 20: true, 22: true}
	for n := 1; n <= 26; n++ {
		raw := example(t, n)
		var m Message
		err := ParseMessage(raw, &m)
		if !bytes.Contains(raw, []byte("<message")) {
			// 1–4 are iq, 26 the stream feature: not messages.
			var e *Error
			if !errors.As(err, &e) || e.Condition != "bad-request" {
				t.Errorf("example %d: ParseMessage = %v, want a bad-request *Error", n, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("example %d: %v", n, err)
			continue
		}
		if got, want := summarize(&m), stdParse(t, raw); !reflect.DeepEqual(got, want) {
			t.Errorf("example %d:\n got %+v\nwant %+v", n, got, want)
		}
		if m.IsRequest() != requests[n] {
			t.Errorf("example %d: IsRequest() = %v", n, m.IsRequest())
		}
		checkRaw(t, n, &m)
	}
}

// TestExampleReplies builds the replies of the XEP's request → reply pairs and compares them
// with the examples, corrected where the examples' README says they are defective.
func TestExampleReplies(t *testing.T) {
	parse := func(n int) *Message {
		var m Message
		if err := ParseMessage(example(t, n), &m); err != nil {
			t.Fatal(n, err)
		}
		return &m
	}
	// withAction is Example 14 with its rule's action replaced (the requests behind 8, 9, 25).
	withAction := func(action string) *Message {
		raw := strings.Replace(string(example(t, 14)), "action='alert'", "action='"+action+"'", 1)
		return mustParse(t, raw)
	}
	m14 := parse(14)
	m16 := parse(16)
	m20 := parse(20)
	m22 := parse(22)
	m10 := parse(10)
	errAction := withAction("error")
	// The amp from/to of 8, 9 and 25 swapped back (README: §4.1).
	swapped := func(n int) string {
		s := string(example(t, n))
		s = strings.Replace(s, "to='bernardo@hamlet.lit/elsinore'\n         from='francisco@hamlet.lit'",
			"from='bernardo@hamlet.lit/elsinore'\n         to='francisco@hamlet.lit'", 1)
		s = strings.Replace(s, "from='francisco@hamlet.lit'\n         to='bernardo@hamlet.lit/elsinore'",
			"from='bernardo@hamlet.lit/elsinore'\n         to='francisco@hamlet.lit'", 1)
		return s
	}
	tests := [...]struct {
		name string
		got  []byte
		want string
	}{
		{"7 alert", ActionReply(m14, m14.Amp.Rules[0], "hamlet.lit"), string(example(t, 7))},
		{"15 alert", ActionReply(m14, m14.Amp.Rules[0], "hamlet.lit"), string(example(t, 15))},
		{"8 error, from/to corrected", ActionReply(errAction, errAction.Amp.Rules[0], "hamlet.lit"), swapped(8)},
		{"25 error, from/to corrected", ActionReply(errAction, errAction.Amp.Rules[0], "hamlet.lit"), swapped(25)},
		{"9 notify, from/to corrected", ActionReply(withAction("notify"), withAction("notify").Amp.Rules[0], "hamlet.lit"), swapped(9)},
		{"11 error, type and status corrected", ActionReply(m10, m10.Amp.Rules[1], "hamlet.lit"),
			`<message from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='ibb1' type='error'>
			  <amp xmlns='http://jabber.org/protocol/amp' status='error' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit/pda'>
			    <rule action='error' condition='match-resource' value='other'/>
			  </amp>
			  <error type='modify' code='500'>
			    <undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
			    <failed-rules xmlns='http://jabber.org/protocol/amp#errors'>
			      <rule action='error' condition='match-resource' value='other'/>
			    </failed-rules>
			  </error>
			</message>`},
		{"17 unsupported action", ErrorReply(m16, UnsupportedActions(m16.Amp.Rules), "shakespeare.lit"), string(example(t, 17))},
		{"19 unsupported condition", ErrorReply(m16, UnsupportedConditions(m16.Amp.Rules), "shakespeare.lit"), string(example(t, 19))},
		{"21 not acceptable, code corrected", ErrorReply(m20, InvalidRules(m20.Amp.Rules), "shakespeare.lit"),
			strings.Replace(string(example(t, 21)), "code='405'", "code='406'", 1)},
		{"23 service unavailable, from corrected", ErrorReply(m22, ServiceUnavailable(), "shakespeare.lit"),
			strings.Replace(string(example(t, 23)), "from='royalty.england.lit'", "from='shakespeare.lit'", 1)},
	}
	for _, tc := range tests {
		if got, want := canonical(t, tc.got), canonical(t, []byte(tc.want)); got != want {
			t.Errorf("%s:\n got %s\nwant %s\n(raw %s)", tc.name, got, want, tc.got)
		}
	}
	// The corrections above must have applied: the defective examples differ from our output.
	for _, n := range []int{8, 9, 25} {
		if string(example(t, n)) == swapped(n) {
			t.Errorf("example %d: the from/to correction did not apply", n)
		}
	}
	if !bytes.Contains(ErrorReply(m20, InvalidRules(m20.Amp.Rules), "s"), []byte("code='406'")) {
		t.Error("invalid-rules reply does not carry code 406")
	}
}
