package c2stest

import (
	"strings"

	"github.com/ampd-xmpp/ampd/xmlscan"
	"github.com/ampd-xmpp/ampd/xmlstream"
)

// Stanza is one top-level element received from the server: a stanza, or
// stream:features or stream:error. Raw is an owned copy of its exact bytes;
// the other fields are read from Raw for convenient matching.
type Stanza struct {
	Raw  []byte
	Name string // local name: "message", "presence", "iq", "features", "error", …
	NS   string // namespace of the element, e.g. "jabber:client"
	From string
	To   string
	ID   string
	Type string

	// doc is Raw with the namespace context of the stream (see inContext);
	// the helper methods read it.
	doc []byte
}

// ParseStanza reads one element as the client does when it receives it (for tests of code
// that classifies what a client received). It keeps raw.
func ParseStanza(raw []byte) Stanza { return newStanza(raw) }

// newStanza reads the matching fields of raw, which the Stanza keeps.
func newStanza(raw []byte) Stanza {
	s := Stanza{Raw: raw, doc: InContext(raw)}
	root, err := xmlscan.Parse(s.doc)
	if err != nil {
		// The splitter checked only the structure; keep what is certain.
		s.Name = string(xmlstream.Name(raw))
		return s
	}
	s.Name = string(root.Local())
	if ns, err := root.Namespace(); err == nil {
		s.NS = string(ns)
	}
	s.From = root.AttrValue("from")
	s.To = root.AttrValue("to")
	s.ID = root.AttrValue("id")
	s.Type = root.AttrValue("type")
	return s
}

// inContext returns raw with the namespace declarations it inherits from the
// stream header (the default jabber:client namespace and the stream prefix)
// added to its start tag where it does not declare them itself, so that the
// element and its children resolve to the namespaces they have on the stream.
// A server commonly omits xmlns='jabber:client' on the stanzas it sends, and
// a test commonly omits it on the stanzas it sends: compare
// InContext(sent) with received.InContext() (xmlcanon.Equal) to be
// independent of either. Bytes that are not one well-formed element are
// returned unchanged.
func InContext(raw []byte) []byte {
	root, err := xmlscan.Parse(raw)
	if err != nil {
		return raw
	}
	var decls string
	if _, ok := root.Attr("xmlns"); !ok {
		decls += " xmlns='" + NSClient + "'"
	}
	if _, ok := root.Attr("xmlns:stream"); !ok {
		decls += " xmlns:stream='" + NSStream + "'"
	}
	start, _ := root.Range()
	at := start + 1 + len(root.Name())
	doc := make([]byte, 0, len(raw)+len(decls))
	doc = append(doc, raw[:at]...)
	doc = append(doc, decls...)
	return append(doc, raw[at:]...)
}

// root parses the stanza again; Raw was checked when it was received.
func (s Stanza) root() (xmlscan.Element, bool) {
	doc := s.doc
	if doc == nil {
		doc = InContext(s.Raw)
	}
	root, err := xmlscan.Parse(doc)
	return root, err == nil
}

// Attr returns the unescaped value of the root's attribute with the given
// qualified name (e.g. "xml:lang"), "" if it has none.
func (s Stanza) Attr(name string) string {
	root, ok := s.root()
	if !ok {
		return ""
	}
	return root.AttrValue(name)
}

// Has reports whether the stanza has a direct child element with namespace
// ns and local name local.
func (s Stanza) Has(ns, local string) bool {
	return s.Child(ns, local) != nil
}

// Child returns the raw bytes of the first direct child element with
// namespace ns and local name local, nil if there is none. The bytes are the
// child as received: namespace declarations it inherits from the stanza or
// the stream are not in them (xmlcanon.ChildCanonical on Raw compares a child
// with its context).
func (s Stanza) Child(ns, local string) []byte {
	root, ok := s.root()
	if !ok {
		return nil
	}
	c, ok := root.Child(ns, local)
	if !ok {
		return nil
	}
	return c.Raw()
}

// Find returns the raw bytes of the first element at any depth below the
// root, in document order, with namespace ns and local name local; nil if
// there is none. As for Child, inherited declarations are not in the bytes.
func (s Stanza) Find(ns, local string) []byte {
	root, ok := s.root()
	if !ok {
		return nil
	}
	return find(root, ns, local)
}

// find searches the descendants of e depth first, in document order.
func find(e xmlscan.Element, ns, local string) []byte {
	for c := e.Children(); c.Next(); {
		child := c.Element()
		if child.Is(ns, local) {
			return child.Raw()
		}
		if raw := find(child, ns, local); raw != nil {
			return raw
		}
	}
	return nil
}

// ChildText returns the text content of the first direct child element with
// namespace ns and local name local (e.g. a message's body), "" if absent.
func (s Stanza) ChildText(ns, local string) string {
	root, ok := s.root()
	if !ok {
		return ""
	}
	c, ok := root.Child(ns, local)
	if !ok {
		return ""
	}
	text, err := c.Text()
	if err != nil {
		return ""
	}
	return text
}

// InContext returns Raw with the declarations it inherits from the stream
// (see the function InContext).
func (s Stanza) InContext() []byte {
	if s.doc != nil {
		return s.doc
	}
	return InContext(s.Raw)
}

// String returns the raw stanza, for failure messages.
func (s Stanza) String() string {
	return string(s.Raw)
}

// Bare returns the bare JID (local@domain) of a JID string, for comparing a
// from or to attribute without caring about the resource.
func Bare(jid string) string {
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		return jid[:i]
	}
	return jid
}
