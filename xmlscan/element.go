package xmlscan

import "bytes"

// Element is a view of one element of a document checked by Parse. The zero value is an
// empty view with no name, attributes or children.
//
// Element holds no pointer but to the document, so views stay on the stack: escape analysis
// is field-insensitive, and a parent pointer would move every ancestor view to the heap as soon
// as any bytes of a child are kept.
type Element struct {
	doc   []byte
	start int // '<' of the start tag
	// nameEnd ends the qualified name doc[start+1:nameEnd]; attributes lie in
	// doc[nameEnd:attrEnd].
	nameEnd, attrEnd int
	// innerStart:innerEnd is the content, empty for a self-closing element; end is just past
	// the element.
	innerStart, innerEnd, end int
	// nsStart:nsEnd is the raw value of the default namespace declared by the nearest
	// ancestor that declares one (empty if none does).
	nsStart, nsEnd int
}

// Name returns the element's qualified name as written (prefix:local or local).
func (e *Element) Name() []byte {
	if e.doc == nil {
		return nil
	}
	return e.doc[e.start+1 : e.nameEnd : e.nameEnd]
}

// Prefix returns the prefix of the element's name, empty if it has none.
func (e *Element) Prefix() []byte {
	p, _ := splitName(e.Name())
	return p
}

// Local returns the local part of the element's name.
func (e *Element) Local() []byte {
	_, l := splitName(e.Name())
	return l
}

// splitName splits a qualified name at its first colon.
func splitName(name []byte) (prefix, local []byte) {
	if c := bytes.IndexByte(name, ':'); c >= 0 {
		return name[:c], name[c+1:]
	}
	return nil, name
}

// Range returns the element's byte range [start, end) in the document, start tag to end tag.
func (e *Element) Range() (start, end int) { return e.start, e.end }

// InnerRange returns the byte range [start, end) of the element's content, between its start
// and end tags; both are the element's end for a self-closing element.
func (e *Element) InnerRange() (start, end int) { return e.innerStart, e.innerEnd }

// Raw returns the element's bytes, start tag to end tag.
func (e *Element) Raw() []byte { return e.doc[e.start:e.end:e.end] }

// Inner returns the raw bytes of the element's content (still escaped).
func (e *Element) Inner() []byte { return e.doc[e.innerStart:e.innerEnd:e.innerEnd] }

// SelfClosing reports whether the element was written as <name …/>.
func (e *Element) SelfClosing() bool { return e.doc != nil && e.innerStart == e.end }

// Attrs returns an iterator over the element's attributes in document order, namespace
// declarations included.
func (e *Element) Attrs() Attrs {
	if e.doc == nil {
		return Attrs{}
	}
	return Attrs{doc: e.doc[:e.attrEnd], pos: e.nameEnd}
}

// Attr returns the attribute with the given qualified name as written (e.g. "id",
// "xml:lang", "xmlns:x").
func (e *Element) Attr(name string) (Attr, bool) {
	for it := e.Attrs(); it.Next(); {
		if a := it.Attr(); string(a.Name) == name {
			return a, true
		}
	}
	return Attr{}, false
}

// Child returns the first direct child element with namespace ns and local name local.
func (e *Element) Child(ns, local string) (Element, bool) {
	for c := e.Children(); c.Next(); {
		if el := c.Element(); el.Is(ns, local) {
			return el, true
		}
	}
	return Element{}, false
}

// AttrValue returns the unescaped value of the attribute with the given qualified name, ""
// when it is absent or its value is malformed: for callers to whom those are all "no value".
// A value that needs no unescaping is copied once.
func (e *Element) AttrValue(name string) string {
	a, ok := e.Attr(name)
	if !ok {
		return ""
	}
	if a.Plain() {
		return string(a.Value)
	}
	v, err := a.Unescape(nil)
	if err != nil {
		return ""
	}
	return string(v)
}
