package xmlstream

import (
	"bytes"
	"encoding/xml"
)

// Header is the stream open tag, e.g.
// <stream:stream xmlns='jabber:component:accept' xmlns:stream='…' id='…'>.
type Header struct {
	Raw   []byte // the open tag exactly as received (a copy owned by the Header)
	Name  string // qualified name, normally "stream:stream"
	Attrs []Attr // attributes in document order, values unescaped
}

// Attr is one attribute of the stream open tag.
type Attr struct {
	Name  string // qualified name, e.g. "id" or "xmlns:stream"
	Value string // unescaped value
}

// Get returns the value of the attribute with the qualified name, or "" if
// the header has none.
func (h Header) Get(name string) string {
	for _, a := range h.Attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// ID returns the stream id attribute.
func (h Header) ID() string { return h.Get("id") }

// From returns the from attribute.
func (h Header) From() string { return h.Get("from") }

// NS returns the default namespace (the xmlns attribute).
func (h Header) NS() string { return h.Get("xmlns") }

// parseHeader decodes the attributes of an open tag the scanner has already
// checked structurally. encoding/xml is fine here: it runs once per stream.
func parseHeader(raw []byte, offset int64) (Header, error) {
	tok, err := xml.NewDecoder(bytes.NewReader(raw)).RawToken()
	start, ok := tok.(xml.StartElement)
	if err != nil || !ok {
		return Header{}, &SyntaxError{Offset: offset, Msg: "invalid stream header"}
	}
	h := Header{Raw: bytes.Clone(raw), Name: qualified(start.Name)}
	for _, a := range start.Attr {
		h.Attrs = append(h.Attrs, Attr{Name: qualified(a.Name), Value: a.Value})
	}
	return h, nil
}

// qualified rebuilds "prefix:local" from a raw (unresolved) xml.Name.
func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}
