package xmlscan

import "bytes"

// XMLNamespace is the namespace bound to the reserved prefix xml (as in xml:lang).
const XMLNamespace = "http://www.w3.org/XML/1998/namespace"

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

// LookupPrefix resolves a namespace prefix in the element's scope: the xmlns:prefix
// declaration on the element or on its nearest ancestor that has one, or for an empty prefix
// the default namespace (xmlns=, "" if none is declared). The result is the declaration's raw
// value (still escaped); ok is false for an unbound prefix.
//
// The default namespace costs a scan of the element's own attributes; a prefix not declared
// on the element itself costs a walk down from the root (prefixes are rare in stanzas).
func (e *Element) LookupPrefix(prefix []byte) (ns []byte, ok bool) {
	if string(prefix) == "xml" {
		return []byte(XMLNamespace), true
	}
	if e.doc == nil {
		return nil, len(prefix) == 0
	}
	if v, found, bound := declaration(e.doc[:e.attrEnd], e.nameEnd, prefix); found {
		return v, bound
	}
	if len(prefix) == 0 {
		return e.doc[e.nsStart:e.nsEnd:e.nsEnd], true
	}
	return e.lookupInAncestors(prefix)
}

// declaration looks for the declaration of prefix among the attributes in doc from pos.
// bound is false for xmlns:p=”, which does not bind p.
func declaration(doc []byte, pos int, prefix []byte) (v []byte, found, bound bool) {
	for it := (Attrs{doc: doc, pos: pos}); it.Next(); {
		if a := it.Attr(); declares(a.Name, prefix) {
			return a.Value, true, len(prefix) == 0 || len(a.Value) > 0
		}
	}
	return nil, false, false
}

// lookupInAncestors resolves prefix on the ancestors of e by walking down from the root to e,
// keeping the last declaration met.
func (e *Element) lookupInAncestors(prefix []byte) (ns []byte, ok bool) {
	pos, err := skipMisc(e.doc, 0)
	for err == nil && pos < e.start {
		var t tag
		terr := scanTag(e.doc, pos, false, &t, nil)
		if terr != nil || t.kind != kindStart {
			return nil, false
		}
		if v, found, bound := declaration(e.doc[:t.attrEnd], t.nameEnd, prefix); found {
			ns, ok = v, bound
		}
		pos, err = childContaining(e.doc, t.end, e.start)
	}
	if pos != e.start {
		return nil, false
	}
	return ns, ok
}

// childContaining returns the start of the child element, among the ones whose content starts
// at pos, that contains offset target.
func childContaining(doc []byte, pos, target int) (int, error) {
	for {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 {
			return 0, errAt(len(doc), "element not closed")
		}
		i := pos + k
		var t tag
		if err := scanTag(doc, i, false, &t, nil); err != nil {
			return 0, err
		}
		end := t.end
		switch t.kind {
		case kindStart:
			var err error
			if _, end, err = skipContent(doc, t.end); err != nil {
				return 0, err
			}
		case kindEnd:
			return 0, errAt(i, "no child contains the offset")
		}
		if (t.kind == kindStart || t.kind == kindEmpty) && i <= target && target < end {
			return i, nil
		}
		pos = end
	}
}

// declares reports whether an attribute named name declares prefix (xmlns:prefix, or xmlns
// for the empty prefix).
func declares(name, prefix []byte) bool {
	if len(prefix) == 0 {
		return string(name) == "xmlns"
	}
	return len(name) == 6+len(prefix) && string(name[:6]) == "xmlns:" && bytes.Equal(name[6:], prefix)
}

// Namespace returns the namespace of the element's name, unescaped. It fails for an unbound
// prefix.
func (e *Element) Namespace() ([]byte, error) {
	raw, ok := e.LookupPrefix(e.Prefix())
	if !ok {
		return nil, errAt(e.start, "unbound namespace prefix "+string(e.Prefix()))
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return raw, nil
	}
	return UnescapeAttr(nil, raw)
}

// Is reports whether the element's local name is local and its namespace is ns.
func (e *Element) Is(ns, local string) bool {
	if e.doc == nil || string(e.Local()) != local {
		return false
	}
	raw, ok := e.LookupPrefix(e.Prefix())
	if !ok {
		return false
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw) == ns
	}
	v, err := UnescapeAttr(nil, raw)
	return err == nil && string(v) == ns
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

// Children returns an iterator over the element's direct child elements in document order.
// Text, CDATA sections and comments between them are skipped.
func (e *Element) Children() Children {
	if e.doc == nil {
		return Children{}
	}
	c := Children{doc: e.doc, pos: e.innerStart, innerEnd: e.innerEnd, nsStart: e.nsStart, nsEnd: e.nsEnd}
	if e.innerStart == e.innerEnd {
		return c // no content: no need to know the namespace in scope
	}
	for it := e.Attrs(); it.Next(); {
		if a := it.Attr(); string(a.Name) == "xmlns" {
			c.nsStart = a.ValueStart()
			c.nsEnd = c.nsStart + len(a.Value)
			break
		}
	}
	return c
}

// Children iterates over the direct child elements of an element:
//
//	for c := e.Children(); c.Next(); {
//		child := c.Element()
//	}
//	if err := c.Err(); … // only for a document modified after Parse
type Children struct {
	doc            []byte
	pos, innerEnd  int
	nsStart, nsEnd int // the default namespace in scope for the children
	cur            Element
	err            error
}

// Next advances to the next child element and reports whether there is one.
func (c *Children) Next() bool {
	if c.err != nil || c.doc == nil {
		return false
	}
	doc := c.doc[:c.innerEnd]
	for c.pos < len(doc) {
		k := bytes.IndexByte(doc[c.pos:], '<')
		if k < 0 {
			break
		}
		i := c.pos + k
		var t tag
		if err := scanTag(doc, i, false, &t, nil); err != nil {
			c.err = err
			return false
		}
		c.pos = t.end
		switch t.kind {
		case kindEmpty:
			c.cur = Element{doc: c.doc, start: i, nameEnd: t.nameEnd, attrEnd: t.attrEnd,
				innerStart: t.end, innerEnd: t.end, end: t.end, nsStart: c.nsStart, nsEnd: c.nsEnd}
			return true
		case kindStart:
			innerEnd, end, err := skipContent(doc, t.end)
			if err != nil {
				c.err = err
				return false
			}
			c.cur = Element{doc: c.doc, start: i, nameEnd: t.nameEnd, attrEnd: t.attrEnd,
				innerStart: t.end, innerEnd: innerEnd, end: end, nsStart: c.nsStart, nsEnd: c.nsEnd}
			c.pos = end
			return true
		case kindEnd:
			c.err = errAt(i, "unexpected end tag")
			return false
		}
	}
	c.pos = len(doc)
	return false
}

// Element returns the current child.
func (c *Children) Element() Element { return c.cur }

// Err returns the error that stopped the iteration early. It is nil for any document that
// Parse accepted and that was not modified since.
func (c *Children) Err() error { return c.err }

// skipContent finds the end tag that closes an element whose content starts at pos; the
// document is known to be well-formed, so names are not compared.
func skipContent(doc []byte, pos int) (innerEnd, end int, err error) {
	depth := 1
	for {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 {
			return 0, 0, errAt(len(doc), "element not closed")
		}
		i := pos + k
		var t tag
		if err := scanTag(doc, i, false, &t, nil); err != nil {
			return 0, 0, err
		}
		pos = t.end
		switch t.kind {
		case kindStart:
			depth++
		case kindEnd:
			if depth--; depth == 0 {
				return i, t.end, nil
			}
		}
	}
}

// Text returns the element's text content: the character data of the element and all its
// descendants, CDATA sections included, with references replaced.
func (e *Element) Text() (string, error) {
	b, err := e.AppendText(nil)
	return string(b), err
}

// AppendText appends the element's text content (see Text) to dst.
func (e *Element) AppendText(dst []byte) ([]byte, error) {
	if e.doc == nil {
		return dst, nil
	}
	doc := e.doc[:e.innerEnd]
	pos := e.innerStart
	for pos < len(doc) {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 {
			k = len(doc) - pos
		}
		var err error
		if dst, err = unescape(dst, doc[pos:pos+k], false); err != nil {
			return dst, err
		}
		pos += k
		if pos == len(doc) {
			break
		}
		var t tag
		if err := scanTag(doc, pos, false, &t, nil); err != nil {
			return dst, err
		}
		if t.kind == kindCDATA {
			dst, _ = unescapeCDATA(dst, doc[t.nameStart:t.nameEnd])
		}
		pos = t.end
	}
	return dst, nil
}

// unescapeCDATA appends a CDATA section's content with line ends normalized.
func unescapeCDATA(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' {
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			c = '\n'
		}
		dst = append(dst, c)
	}
	return dst, nil
}
