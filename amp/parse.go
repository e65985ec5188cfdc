package amp

import (
	"errors"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// ParseMessage reads the <message/> stanza raw into m, reusing m's storage: m.Amp (when not
// nil) and the capacity of m.Amp.Rules are overwritten, so values taken from an earlier parse
// into the same m must not be kept. m.Raw, Element.Raw and Rule.Raw alias raw; attribute
// values are copies (the values without references are gathered into one string, allocated
// once, and are substrings of it).
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
	inAmp   bool // inside the first <amp/>
	doneAmp bool // the first <amp/> has been read
	inRule  bool // inside a <rule/> of that <amp/>
	// Values without references wait here until the end, to be copied into a single string.
	pend  [24]pending
	npend int
}

// pending is a value without references: raw[vs:ve] goes to the Attr target names (see attr).
type pending struct {
	target, vs, ve int32
}

// Targets of values: the message's attributes, the amp's, then three per rule.
const (
	tFrom = iota
	tTo
	tID
	tType
	tLang
	tStatus
	tPerHop
	tAmpFrom
	tAmpTo
	tRules // rule i's action, condition, value: tRules + 3i + 0, 1, 2
)

// attr returns the Attr a target names.
func attr(m *Message, el *Element, target int) *Attr {
	switch target {
	case tFrom:
		return &m.From
	case tTo:
		return &m.To
	case tID:
		return &m.ID
	case tType:
		return &m.Type
	case tLang:
		return &m.Lang
	case tStatus:
		return &el.Status
	case tPerHop:
		return &el.PerHop
	case tAmpFrom:
		return &el.From
	case tAmpTo:
		return &el.To
	}
	r := &el.Rules[(target-tRules)/3]
	switch (target - tRules) % 3 {
	case 0:
		return &r.Action
	case 1:
		return &r.Condition
	}
	return &r.Value
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
			if err := p.ampAttrs(m, el); err != nil {
				return err
			}
		case depth == 2 && p.inAmp && !s.IsStart():
			e := s.Element()
			el.Start, el.End = e.Range()
			el.Raw = e.Raw()
			p.inAmp, p.doneAmp = false, true
		case depth == 3 && p.inAmp && s.IsStart() && s.Is(NS, "rule"):
			el.Rules = append(el.Rules, Rule{})
			if err := p.ruleAttrs(m, el); err != nil {
				return err
			}
			p.inRule = true
		case depth == 3 && p.inRule && !s.IsStart():
			e := s.Element()
			el.Rules[len(el.Rules)-1].Raw = e.Raw()
			p.inRule = false
		}
	}
	if s.Err() != nil {
		return s.Err()
	}
	p.finish(m, el)
	return nil
}

// finish copies the pending values into one string and points their Attrs into it.
func (p *parser) finish(m *Message, el *Element) {
	n := 0
	for _, pd := range p.pend[:p.npend] {
		n += int(pd.ve - pd.vs)
	}
	var stack [256]byte
	buf := stack[:0]
	if n > len(stack) {
		buf = make([]byte, 0, n)
	}
	for _, pd := range p.pend[:p.npend] {
		buf = append(buf, m.Raw[pd.vs:pd.ve]...)
	}
	str := string(buf)
	off := 0
	for _, pd := range p.pend[:p.npend] {
		l := int(pd.ve - pd.vs)
		*attr(m, el, int(pd.target)) = Attr{Value: str[off : off+l], Present: true}
		off += l
	}
}

func (p *parser) messageAttrs(m *Message) error {
	it := p.s.Attrs() // outside the loop: a per-iteration copy of it would cost a copy per attribute
	for it.Next() {
		var target int
		switch string(it.Name()) {
		case "from":
			target = tFrom
		case "to":
			target = tTo
		case "id":
			target = tID
		case "type":
			target = tType
		case "xml:lang":
			target = tLang
		default:
			continue
		}
		if err := p.value(m, nil, target, &it); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) ampAttrs(m *Message, el *Element) error {
	it := p.s.Attrs() // outside the loop: a per-iteration copy of it would cost a copy per attribute
	for it.Next() {
		var target int
		switch string(it.Name()) {
		case "status":
			target = tStatus
		case "per-hop":
			target = tPerHop
		case "from":
			target = tAmpFrom
		case "to":
			target = tAmpTo
		default:
			continue
		}
		if err := p.value(m, el, target, &it); err != nil {
			return err
		}
	}
	return nil
}

// ruleAttrs reads the attributes of the last rule of el.
func (p *parser) ruleAttrs(m *Message, el *Element) error {
	base := tRules + 3*(len(el.Rules)-1)
	it := p.s.Attrs() // outside the loop: a per-iteration copy of it would cost a copy per attribute
	for it.Next() {
		var target int
		switch string(it.Name()) {
		case "action":
			target = base
		case "condition":
			target = base + 1
		case "value":
			target = base + 2
		default:
			continue
		}
		if err := p.value(m, el, target, &it); err != nil {
			return err
		}
	}
	return nil
}

// value sets the Attr target to the value of the current attribute of it. A value without
// references waits in p.pend for finish (as long as there is room); the others are unescaped
// into a string of their own.
//
// It reads the attribute through the iterator's accessors rather than as an xmlscan.Attr:
// that struct is built in memory and copied, and the copy stalls on the stores that built it.
func (p *parser) value(m *Message, el *Element, target int, it *xmlscan.Attrs) error {
	vs, ve := it.ValueRange()
	if it.Plain() && p.npend < len(p.pend) {
		pd := &p.pend[p.npend]
		pd.target, pd.vs, pd.ve = int32(target), int32(vs), int32(ve)
		p.npend++
		return nil
	}
	v, err := xmlscan.UnescapeAttr(nil, m.Raw[vs:ve])
	if err != nil {
		return err
	}
	*attr(m, el, target) = Attr{Value: string(v), Present: true}
	return nil
}
