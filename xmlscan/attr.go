package xmlscan

// Attr is one attribute of a start tag, a view into the document.
type Attr struct {
	Name  []byte // qualified name as written
	Value []byte // raw value between the quotes, still escaped (see Unescape)
	// Start is the offset of the name in the document; End is just past the closing quote.
	Start, End int
}

// ValueStart returns the offset of the raw value in the document.
func (a Attr) ValueStart() int { return a.End - 1 - len(a.Value) }

// Prefix returns the prefix of the attribute's name, empty if it has none.
func (a Attr) Prefix() []byte {
	p, _ := splitName(a.Name)
	return p
}

// Local returns the local part of the attribute's name.
func (a Attr) Local() []byte {
	_, l := splitName(a.Name)
	return l
}

// Attrs iterates over the attributes of a start tag:
//
//	for it := e.Attrs(); it.Next(); {
//		a := it.Attr()
//	}
type Attrs struct {
	doc []byte // the document, cut at the end of the attribute region
	pos int
	cur Attr
}

// Next advances to the next attribute and reports whether there is one.
func (it *Attrs) Next() bool {
	i := skipSpace(it.doc, it.pos)
	if i >= len(it.doc) {
		it.pos = i
		return false
	}
	ne, vs, ve, msg := scanAttr(it.doc, i)
	if msg != "" { // only for a document modified after Parse
		it.pos = len(it.doc)
		return false
	}
	it.cur = Attr{Name: it.doc[i:ne:ne], Value: it.doc[vs:ve:ve], Start: i, End: ve + 1}
	it.pos = ve + 1
	return true
}

// Attr returns the current attribute.
func (it *Attrs) Attr() Attr { return it.cur }
