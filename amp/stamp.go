package amp

import (
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Stamp returns m's bytes with the <amp/> start tag carrying from = m.From and to = m.To
// (amp-semantics §5, XEP-0079 §4.1), replacing any from and to it had; every other byte is
// the original's (a from or to that m lacks is left out). Without an <amp/> it returns a copy
// of m.Raw.
func Stamp(m *Message) []byte {
	return AppendStamp(make([]byte, 0, len(m.Raw)+len(m.From.Value)+len(m.To.Value)+16), m)
}

// AppendStamp appends the stanza Stamp returns to dst.
func AppendStamp(dst []byte, m *Message) []byte {
	raw := m.Raw
	a := m.Amp
	if a == nil {
		return append(dst, raw...)
	}
	// Only the start tag is read: a Scanner stops after its first token.
	var s xmlscan.Scanner
	s.Reset(a.Raw)
	if !s.Next() || a.Start < 0 || a.End > len(raw) || a.Start > a.End {
		return append(dst, raw...) // m was not made by ParseMessage from raw
	}
	// Copy up to the name, then each kept attribute with the space before it.
	prev := a.Start + 1 + len(s.Name())
	dst = append(dst, raw[:prev]...)
	for it := s.Attrs(); it.Next(); {
		at := it.Attr()
		end := a.Start + at.End
		if name := string(at.Name); name != "from" && name != "to" {
			dst = append(dst, raw[prev:end]...)
		}
		prev = end
	}
	dst = appendAttrIf(dst, "from", m.From)
	dst = appendAttrIf(dst, "to", m.To)
	return append(dst, raw[prev:]...)
}
