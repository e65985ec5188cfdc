package xmlscan

import (
	"bytes"
	"errors"
)

// ErrSkipNotAtStart is the Err of a Scanner whose Skip was called when the current token
// was not the start of an element: a mistake of the caller, not of the document.
var ErrSkipNotAtStart = errors.New("xmlscan: Skip called when the current token is not an element start")

// Skip moves from the start of the current element to its end without reporting the
// descendants, and reports whether it got there. After it returns true the current token is
// the end of that element, exactly as if Next had been called until then: Element gives the
// whole element, Depth, Name and Attrs answer for it, and the next Next continues after it.
// It returns false at the first error (see Err), and, with ErrSkipNotAtStart, when the
// current token is not a start.
//
// Skip checks less than Next, to be cheap. Of the element's content it checks only what
// finding the matching end tag needs: that every '<' begins a start tag (a name, then
// attributes up to '>' or '/>', jumping over quoted values, so a '>' inside quotes is not
// the end of the tag), an end tag, a comment or a CDATA section that is terminated (so a
// '<' inside them is not markup); that start and end tags balance; and that the end tag
// closing the element has its name. It does not check attribute syntax or values,
// duplicate attributes, references, comment content, nor that the end tags inside the
// element match their own start tags.
//
// The contract: on a well-formed document, Skip ends exactly where Next would have reported
// the element's end. On any document, if Skip succeeds and the bytes it skipped (the
// element's Raw) are then accepted by Parse on their own, the element is well-formed just
// as a full scan would have found it, and the scan goes on from the same place. So a caller
// that skips an element must hand its Raw to a full parse (Parse, a Scanner, or a parser
// built on one) before trusting anything in it; that is what makes the document checked in
// full on one path.
func (s *Scanner) Skip() bool {
	if s.err != nil {
		return false
	}
	if !s.start || s.state != stateContent && s.state != stateEmpty {
		return s.fail(ErrSkipNotAtStart)
	}
	if s.state == stateEmpty { // self-closing: its end is known already
		s.state = stateContent
		s.recorded = false
		return s.end(int(s.cur.end))
	}
	// The same walk as Children takes over a document Parse has checked.
	innerEnd, end, err := skipContent(s.doc, int(s.cur.innerStart))
	if err != nil {
		return s.fail(err)
	}
	name, endName := s.doc[s.cur.start+1:s.cur.nameEnd], s.doc[innerEnd+2:scanName(s.doc, innerEnd+2)]
	if !bytes.Equal(name, endName) {
		return s.fail(errAt(innerEnd, "end tag </"+string(endName)+"> does not match <"+string(name)+">"))
	}
	s.pos = end
	s.cur.innerEnd = int32(innerEnd)
	s.recorded = false
	return s.end(end)
}
