package xmlscan

// Attr is one attribute of a start tag, a view into the document.
type Attr struct {
	Name  []byte // qualified name as written
	Value []byte // raw value between the quotes, still escaped (see Unescape)
	// Start is the offset of the name in the document; End is just past the closing quote.
	Start, End int
	plain      uint8 // 0: unknown, plainYes, plainNo: known from checking the tag
}

const (
	plainYes = 1
	plainNo  = 2
)

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
//
// It stores only offsets while iterating: a slice stored into the iterator from its own
// fields would make escape analysis move the iterator, and what it points to, to the heap.
//
// Name, ValueRange and Plain answer for the current attribute without building an Attr, for
// callers that look at many attributes and keep few.
type Attrs struct {
	doc  []byte    // the document, cut at the end of the attribute region
	pos  int       // where lexing resumes, when list is nil
	list *attrList // the attributes recorded while the tag was checked, or nil
	next int       // the index of the next recorded attribute
	cur  attrSpan  // the current attribute, when list is nil
}

// Next advances to the next attribute and reports whether there is one.
func (it *Attrs) Next() bool {
	if it.list != nil {
		// The recorded span is read in place (see span): copying it here, right after the
		// tag's check wrote it, would stall on store forwarding.
		if it.next >= it.list.n {
			return false
		}
		it.next++
		return true
	}
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
	it.cur = attrSpan{start: int32(i), nameEnd: int32(ne), valueStart: int32(vs), valueEnd: int32(ve), known: false}
	it.pos = ve + 1
	return true
}

// span returns where the current attribute is.
func (it *Attrs) span() *attrSpan {
	if it.list != nil && it.next > 0 {
		return &it.list.spans[it.next-1]
	}
	return &it.cur
}

// Name returns the current attribute's qualified name as written (Attr().Name).
func (it *Attrs) Name() []byte {
	sp := it.span()
	return it.doc[sp.start:sp.nameEnd:sp.nameEnd]
}

// ValueRange returns the offsets in the document of the current attribute's raw value,
// between the quotes (Attr().Value).
func (it *Attrs) ValueRange() (start, end int) {
	sp := it.span()
	return int(sp.valueStart), int(sp.valueEnd)
}

// Plain reports whether the current attribute's raw value is already its value
// (Attr().Plain()).
func (it *Attrs) Plain() bool {
	sp := it.span()
	if sp.known {
		return sp.plain
	}
	return plainValue(it.doc[sp.valueStart:sp.valueEnd])
}

// Attr returns the current attribute.
func (it *Attrs) Attr() Attr {
	sp := it.span()
	start, nameEnd, vs, ve := int(sp.start), int(sp.nameEnd), int(sp.valueStart), int(sp.valueEnd)
	a := Attr{Name: it.doc[start:nameEnd:nameEnd], Value: it.doc[vs:ve:ve], Start: start, End: ve + 1}
	if sp.known {
		a.plain = plainNo
		if sp.plain {
			a.plain = plainYes
		}
	}
	return a
}
