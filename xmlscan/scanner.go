package xmlscan

import (
	"bytes"
	"math"
)

// Scanner reads a document in one pass, element by element, checking it exactly as Parse
// does while it goes. It reports the start and the end of every element (a self-closing one
// too). At both, Name, Attrs, Is and LookupPrefix answer for that element; at an end,
// Element also gives the whole element as a view. It is the fastest way to pick a few elements out of a stanza:
//
//	var s xmlscan.Scanner
//	s.Reset(stanza)
//	for s.Next() {
//		if s.IsStart() && s.Depth() == 2 && s.Is(ns, "amp") { … }
//	}
//	if err := s.Err(); err != nil { … } // the document is not well-formed
//
// Until Next has returned false with a nil Err, the rest of the document is unchecked.
// A Scanner must not be copied after Reset.
type Scanner struct {
	doc   []byte
	pos   int
	state scanState
	err   error
	cur   open // the element of the current token
	start bool // the current token is a start (else an end)
	// The open elements, the root first; cur is the top at a start. Deep documents spill
	// from buf into deep.
	n    int
	buf  [12]open
	deep []open
	// attrs are the attributes of the last start tag read, valid while recorded is set (at
	// the start token of that tag).
	attrs    attrList
	recorded bool
}

type scanState uint8

const (
	stateProlog  scanState = iota // before the root
	stateContent                  // inside the root
	stateEmpty                    // the start of a self-closing element was reported
	stateDone                     // the root has ended
)

// open is an element whose start has been read. Offsets are 32-bit (see MaxSize): the stack
// of open elements is copied at every start.
type open struct {
	start, nameEnd, attrEnd, innerStart, innerEnd, end int32
	// inherited is the span of the default namespace in scope from the ancestors; ns is the one
	// in scope for the children (the element's own xmlns= or inherited).
	inhStart, inhEnd, nsStart, nsEnd int32
	prefixDecl                       bool // the start tag declares some xmlns:prefix
}

// MaxSize is the size of the largest document a Scanner (and Parse) accepts: 2 GiB, far
// above any stanza, so that offsets fit in 32 bits where they are stored in bulk.
const MaxSize = math.MaxInt32

// Reset starts scanning doc.
func (s *Scanner) Reset(doc []byte) {
	s.doc, s.pos, s.state, s.err, s.n, s.start, s.recorded = doc, 0, stateProlog, nil, 0, false, false
	s.deep = s.deep[:0]
	if len(doc) > MaxSize {
		s.fail(errAt(0, "document larger than MaxSize"))
	}
}

func (s *Scanner) at(i int) *open {
	if i < len(s.buf) {
		return &s.buf[i]
	}
	return &s.deep[i-len(s.buf)]
}

// slot pushes a new element on the stack of open elements and returns it, to be filled.
func (s *Scanner) slot() *open {
	s.n++
	if s.n <= len(s.buf) {
		return &s.buf[s.n-1]
	}
	s.deep = append(s.deep[:s.n-1-len(s.buf)], open{})
	return &s.deep[len(s.deep)-1]
}

// set fills o for the element whose start tag t is at i.
func (o *open) set(i int, t *tag, inhStart, inhEnd, nsStart, nsEnd int32) {
	o.start, o.nameEnd, o.attrEnd = int32(i), int32(t.nameEnd), int32(t.attrEnd)
	o.innerStart, o.innerEnd, o.end = int32(t.end), int32(t.end), int32(t.end)
	o.inhStart, o.inhEnd, o.nsStart, o.nsEnd = inhStart, inhEnd, nsStart, nsEnd
	o.prefixDecl = t.prefixDecl
}

// Next advances to the next element start or end and reports whether there is one. It
// returns false at the end of the document and at the first error (see Err).
func (s *Scanner) Next() bool {
	if s.err != nil {
		return false
	}
	switch s.state {
	case stateProlog:
		return s.root()
	case stateEmpty:
		s.state = stateContent
		s.recorded = false
		return s.end(int(s.cur.end))
	case stateDone:
		return false
	}
	for {
		i := s.pos
		if i >= len(s.doc) || s.doc[i] != '<' { // text first (markup follows markup more often)
			k := bytes.IndexByte(s.doc[i:], '<')
			if k < 0 {
				return s.fail(errAt(len(s.doc), "unexpected end of input: element not closed"))
			}
			if err := checkRefs(s.doc[i:i+k], i); err != nil {
				return s.fail(err)
			}
			i += k
		}
		if end, ok := s.closes(i); ok {
			top := s.at(s.n - 1)
			s.pos = end
			s.cur = *top
			s.cur.innerEnd = int32(i)
			s.recorded = false
			return s.end(end)
		}
		var t tag
		if err := scanTag(s.doc, i, true, &t, &s.attrs); err != nil {
			return s.fail(err)
		}
		s.pos = t.end
		switch t.kind {
		case kindStart, kindEmpty:
			parent := s.at(s.n - 1)
			return s.begin(i, &t, parent.nsStart, parent.nsEnd)
		case kindEnd:
			top := s.at(s.n - 1)
			if !bytes.Equal(s.doc[top.start+1:top.nameEnd], s.doc[t.nameStart:t.nameEnd]) {
				return s.fail(errAt(i, "end tag </"+string(s.doc[t.nameStart:t.nameEnd])+
					"> does not match <"+string(s.doc[top.start+1:top.nameEnd])+">"))
			}
			s.cur = *top
			s.cur.innerEnd = int32(i)
			s.recorded = false
			return s.end(t.end)
		}
	}
}

// closes reports whether doc[i] starts the end tag of the top element written the common way,
// </name> with no space before '>', and returns the offset just past it. Anything else goes
// through scanTag, which finds the same end for such a tag: this only spares lexing a name
// that is compared right after.
func (s *Scanner) closes(i int) (end int, ok bool) {
	top := s.at(s.n - 1)
	name := s.doc[top.start+1 : top.nameEnd]
	end = i + 3 + len(name) // "</" name ">"
	if end > len(s.doc) || s.doc[i+1] != '/' || s.doc[end-1] != '>' || string(s.doc[i+2:end-1]) != string(name) {
		return 0, false
	}
	return end, true
}

// root reads the prolog and the root's start tag.
func (s *Scanner) root() bool {
	i, err := skipMisc(s.doc, 0)
	if err != nil {
		return s.fail(err)
	}
	if i >= len(s.doc) {
		return s.fail(errAt(i, "no root element"))
	}
	var t tag
	if err := scanTag(s.doc, i, true, &t, &s.attrs); err != nil {
		return s.fail(err)
	}
	if t.kind != kindStart && t.kind != kindEmpty {
		return s.fail(errAt(i, "expected the root element's start tag"))
	}
	s.pos = t.end
	return s.begin(i, &t, 0, 0)
}

// begin reports the start of the element whose start tag t is at i.
func (s *Scanner) begin(i int, t *tag, inhStart, inhEnd int32) bool {
	nsStart, nsEnd := inhStart, inhEnd
	if t.hasNS {
		nsStart, nsEnd = int32(t.nsStart), int32(t.nsEnd)
	}
	// The new top and cur are written field by field from the same values, not built as one
	// struct and copied: the 16-byte loads of a block copy stall on the 4-byte stores that
	// have just built the struct (store forwarding fails), which cost an eighth of Parse.
	s.cur.set(i, t, inhStart, inhEnd, nsStart, nsEnd)
	s.slot().set(i, t, inhStart, inhEnd, nsStart, nsEnd)
	s.start, s.recorded = true, s.attrs.complete()
	s.state = stateContent
	if t.kind == kindEmpty {
		s.state = stateEmpty
	}
	return true
}

// end reports the end of the top element, which ends at end, and pops it.
func (s *Scanner) end(end int) bool {
	s.cur.end, s.start = int32(end), false
	s.n--
	if s.n == 0 {
		rest, err := skipMisc(s.doc, end)
		if err != nil {
			return s.fail(err)
		}
		if rest < len(s.doc) {
			return s.fail(errAt(rest, "content after the root element"))
		}
		s.state = stateDone
	}
	return true
}

func (s *Scanner) fail(err error) bool {
	s.err, s.state = err, stateDone
	return false
}

// Err returns the error that stopped the scan, nil if the document was well-formed (once Next
// has returned false) or has been well-formed so far.
func (s *Scanner) Err() error { return s.err }

// IsStart reports whether the current token is the start of an element (else its end).
func (s *Scanner) IsStart() bool { return s.start }

// Depth returns the depth of the current element: 1 for the root.
func (s *Scanner) Depth() int {
	if s.start {
		return s.n
	}
	return s.n + 1
}

// Offset returns the offset of the current element's start tag.
func (s *Scanner) Offset() int { return int(s.cur.start) }

// Name returns the current element's qualified name as written.
func (s *Scanner) Name() []byte { return s.doc[s.cur.start+1 : s.cur.nameEnd : s.cur.nameEnd] }

// Local returns the local part of the current element's name.
func (s *Scanner) Local() []byte {
	_, l := splitName(s.Name())
	return l
}

// Attrs returns an iterator over the current element's attributes.
func (s *Scanner) Attrs() Attrs {
	it := Attrs{doc: s.doc[:s.cur.attrEnd], pos: int(s.cur.nameEnd)}
	if s.recorded {
		it.list = &s.attrs
	}
	return it
}

// Is reports whether the current element's local name is local and its namespace is ns.
func (s *Scanner) Is(ns, local string) bool {
	prefix, l := splitName(s.Name())
	if string(l) != local {
		return false
	}
	raw, ok := s.LookupPrefix(prefix)
	return ok && nsEqual(raw, ns)
}

// nsEqual reports whether the raw namespace value raw stands for ns.
func nsEqual(raw []byte, ns string) bool {
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw) == ns
	}
	v, err := UnescapeAttr(nil, raw)
	return err == nil && string(v) == ns
}

// LookupPrefix resolves a namespace prefix in the scope of the current element, as
// Element.LookupPrefix does.
func (s *Scanner) LookupPrefix(prefix []byte) (ns []byte, ok bool) {
	if len(prefix) == 0 {
		o := &s.cur
		return s.doc[o.nsStart:o.nsEnd:o.nsEnd], true
	}
	if string(prefix) == "xml" {
		return []byte(XMLNamespace), true
	}
	if s.cur.prefixDecl {
		if v, found, bound := declaration(s.doc[:s.cur.attrEnd], int(s.cur.nameEnd), prefix); found {
			return v, bound
		}
	}
	// The ancestors: at a start the current element is the top of the stack.
	top := s.n - 1
	if !s.start {
		top = s.n
	}
	for i := top - 1; i >= 0; i-- {
		o := s.at(i)
		if !o.prefixDecl {
			continue
		}
		if v, found, bound := declaration(s.doc[:o.attrEnd], int(o.nameEnd), prefix); found {
			return v, bound
		}
	}
	return nil, false
}

// Element returns the current element as a view. At an end it is complete; at a start its
// content and end are not known yet and the view covers only the start tag.
func (s *Scanner) Element() Element {
	o := &s.cur
	e := Element{doc: s.doc, start: int(o.start), nameEnd: int(o.nameEnd), attrEnd: int(o.attrEnd),
		innerStart: int(o.innerStart), innerEnd: int(o.innerEnd), end: int(o.end), nsStart: int(o.inhStart),
		nsEnd: int(o.inhEnd)}
	if s.start {
		e.innerEnd, e.end = e.innerStart, e.innerStart
	}
	return e
}
