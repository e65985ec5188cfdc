package amp

import (
	"errors"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// ParseMessage reads the <message/> stanza raw into m, reusing m's storage: m.Amp (when not
// nil) and the capacity of m.Amp.Rules are overwritten, so values taken from an earlier parse
// into the same m must not be kept. m.Raw, Element.Raw and Rule.Raw alias raw; attribute
// values are copies (the whole stanza is converted to a string once and values without
// references are substrings of it).
//
// The root must be an element named message (its namespace is not checked: jabber:client,
// jabber:server and a message forwarded inside another stanza all qualify). m.Amp is its
// first child <amp/> in namespace NS, however it is prefixed; nil if there is none. Its rules
// are its direct <rule/> children in namespace NS, every attribute kept as sent (missing and
// empty told apart); unknown attributes and children are ignored.
//
// A stanza that is not well-formed or whose root is not a message yields an *Error made by
// NotWellFormed, and m holds nothing but Raw. ParseMessage never panics.
func ParseMessage(raw []byte, m *Message) error {
	el := m.Amp
	*m = Message{Raw: raw}
	var p parser
	p.s.Reset(raw)
	if err := p.run(m, el); err != nil {
		*m = Message{Raw: raw}
		return NotWellFormed(err.Error())
	}
	return nil
}

// parser reads a message in one pass of an xmlscan.Scanner, which also checks the whole
// stanza. Depth 1 is the message, 2 its children, 3 the children of the <amp/>.
type parser struct {
	s       xmlscan.Scanner
	str     string // the stanza, converted once: values without references are substrings
	inAmp   bool   // inside the first <amp/>
	doneAmp bool   // the first <amp/> has been read
	inRule  bool   // inside a <rule/> of that <amp/>
}

var errNotMessage = errors.New("amp: the stanza is not a message")

func (p *parser) run(m *Message, el *Element) error {
	s := &p.s
	for s.Next() {
		switch depth := s.Depth(); {
		case depth == 1 && s.IsStart():
			if string(s.Local()) != "message" {
				return errNotMessage
			}
			p.str = string(m.Raw)
			if err := p.messageAttrs(m); err != nil {
				return err
			}
		case depth == 2 && s.IsStart() && !p.doneAmp && s.Is(NS, "amp"):
			if el == nil {
				el = new(Element)
			}
			*el = Element{Rules: el.Rules[:0]}
			m.Amp = el
			p.inAmp = true
			if err := p.ampAttrs(el); err != nil {
				return err
			}
		case depth == 2 && p.inAmp && !s.IsStart():
			e := s.Element()
			el.Start, el.End = e.Range()
			el.Raw = e.Raw()
			p.inAmp, p.doneAmp = false, true
		case depth == 3 && p.inAmp && s.IsStart() && s.Is(NS, "rule"):
			var r Rule
			if err := p.ruleAttrs(&r); err != nil {
				return err
			}
			el.Rules = append(el.Rules, r)
			p.inRule = true
		case depth == 3 && p.inRule && !s.IsStart():
			e := s.Element()
			el.Rules[len(el.Rules)-1].Raw = e.Raw()
			p.inRule = false
		}
	}
	return s.Err()
}

func (p *parser) messageAttrs(m *Message) error {
	for it := p.s.Attrs(); it.Next(); {
		a := it.Attr()
		var dst *Attr
		switch string(a.Name) {
		case "from":
			dst = &m.From
		case "to":
			dst = &m.To
		case "id":
			dst = &m.ID
		case "type":
			dst = &m.Type
		case "xml:lang":
			dst = &m.Lang
		default:
			continue
		}
		if err := p.value(dst, a); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) ampAttrs(el *Element) error {
	for it := p.s.Attrs(); it.Next(); {
		a := it.Attr()
		var dst *Attr
		switch string(a.Name) {
		case "status":
			dst = &el.Status
		case "per-hop":
			dst = &el.PerHop
		case "from":
			dst = &el.From
		case "to":
			dst = &el.To
		default:
			continue
		}
		if err := p.value(dst, a); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) ruleAttrs(r *Rule) error {
	for it := p.s.Attrs(); it.Next(); {
		a := it.Attr()
		var dst *Attr
		switch string(a.Name) {
		case "action":
			dst = &r.Action
		case "condition":
			dst = &r.Condition
		case "value":
			dst = &r.Value
		default:
			continue
		}
		if err := p.value(dst, a); err != nil {
			return err
		}
	}
	return nil
}

// value sets dst to a's value: a substring of the stanza when it needs no unescaping.
func (p *parser) value(dst *Attr, a xmlscan.Attr) error {
	if a.Plain() {
		start := a.ValueStart()
		*dst = Attr{Value: p.str[start : start+len(a.Value)], Present: true}
		return nil
	}
	v, err := a.Unescape(nil)
	if err != nil {
		return err
	}
	*dst = Attr{Value: string(v), Present: true}
	return nil
}
