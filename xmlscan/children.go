package xmlscan

import "bytes"

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
		i := c.pos
		if doc[i] != '<' { // text first (markup follows markup more often)
			k := bytes.IndexByte(doc[i:], '<')
			if k < 0 {
				break
			}
			i += k
		}
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
		i := pos
		if i >= len(doc) || doc[i] != '<' { // text first (markup follows markup more often)
			k := bytes.IndexByte(doc[i:], '<')
			if k < 0 {
				return 0, 0, errAt(len(doc), "element not closed")
			}
			i += k
		}
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
