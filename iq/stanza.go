package iq

import (
	"errors"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Stanza is an iq read from the server: its addressing and its payload.
type Stanza struct {
	Type, ID, From, To string
	root               xmlscan.Element
}

// ErrNotIQ is returned by Parse for a stanza that is not an iq.
var ErrNotIQ = errors.New("iq: not an iq stanza")

// ErrType is returned by Parse for an iq whose type is not get, set, result or error.
var ErrType = errors.New("iq: iq without a valid type")

// Parse reads an iq stanza. The error says why raw is not one (malformed XML, another
// stanza, an invalid type).
func Parse(raw []byte) (Stanza, error) {
	root, err := xmlscan.Parse(raw)
	if err != nil {
		return Stanza{}, err
	}
	if string(root.Local()) != "iq" {
		return Stanza{}, ErrNotIQ
	}
	s := Stanza{Type: root.AttrValue("type"), ID: root.AttrValue("id"), From: root.AttrValue("from"), To: root.AttrValue("to"), root: root}
	switch s.Type {
	case "get", "set", "result", "error":
		return s, nil
	}
	return Stanza{}, ErrType
}

// IsAnswer reports whether s answers a query (a result or an error).
func (s *Stanza) IsAnswer() bool { return s.Type == "result" || s.Type == "error" }

// payload returns the first child element, the query of a get or set.
func (s *Stanza) payload() (xmlscan.Element, bool) {
	for c := s.root.Children(); c.Next(); {
		return c.Element(), true
	}
	return xmlscan.Element{}, false
}

// AppendQuery appends an iq get from → to carrying an empty <query xmlns=ns/>: ampd's own
// look-ups.
func AppendQuery(dst []byte, from, to, id, ns string) []byte {
	dst = append(dst, "<iq type='get' from='"...)
	dst = xmlscan.AppendEscaped(dst, from)
	dst = append(dst, "' to='"...)
	dst = xmlscan.AppendEscaped(dst, to)
	dst = append(dst, "' id='"...)
	dst = xmlscan.AppendEscaped(dst, id)
	dst = append(dst, "'><query xmlns='"...)
	dst = xmlscan.AppendEscaped(dst, ns)
	return append(dst, "'/></iq>"...)
}

// appendStart appends <iq from to id type> without closing the start tag.
func appendStart(dst []byte, from, to, id, typ string) []byte {
	dst = append(dst, "<iq from='"...)
	dst = xmlscan.AppendEscaped(dst, from)
	dst = append(dst, "' to='"...)
	dst = xmlscan.AppendEscaped(dst, to)
	dst = append(dst, "' id='"...)
	dst = xmlscan.AppendEscaped(dst, id)
	dst = append(dst, "' type='"...)
	dst = append(dst, typ...)
	return append(dst, '\'')
}
