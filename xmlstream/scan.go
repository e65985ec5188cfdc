package xmlstream

import (
	"bytes"
	"fmt"
)

// state is where the scanner stopped inside the XML grammar. The scanner is
// resumable at every byte so that a stanza may arrive in any number of reads
// and so that an oversized stanza can be skipped without buffering it.
type state uint8

const (
	stText      state = iota // character data (level > 0) or whitespace between stanzas (level 0)
	stOpen                   // just after '<'
	stStartName              // inside the name of a start tag
	stInTag                  // inside a start tag, between attributes
	stAttrName               // inside an attribute name
	stAttrEq                 // after an attribute name, before '='
	stAttrQuote              // after '=', before the opening quote
	stAttrValue              // inside a quoted attribute value
	stAttrEnd                // just after the closing quote of a value
	stSlash                  // after '/' in a start tag, before '>'
	stEndName                // inside the name of an end tag
	stEndTail                // after the name of an end tag, before '>'
	stBang                   // after "<!", matching "[CDATA["
	stCDATA                  // inside a CDATA section
	stDecl                   // inside the XML declaration "<?xml …?>"
)

// event is what a scan run found.
type event uint8

const (
	evMore      event = iota // the buffer is exhausted, read more
	evElement                // a top-level element ended at s.pos
	evHeader                 // the stream open tag ended at s.pos
	evStreamEnd              // </stream:stream> ended at s.pos
)

// maxTopName bounds the recorded name of a top-level element, which is kept
// even while an oversized element is being skipped.
const maxTopName = 1024

const cdataOpen = "[CDATA["

// nameByte tells which bytes may appear in an XML name. The table is
// permissive (any non-ASCII byte is accepted) because validating UTF-8 names
// is the job of whoever decodes the stanza.
var nameByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-' || c == '.'
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func isNameStart(c byte) bool {
	return nameByte[c] && c != '-' && c != '.' && (c < '0' || c > '9')
}

// recording tells whether element names are kept for end-tag matching. Inside
// a stanza that is being skipped only the top-level name is kept, so that
// skipping needs constant memory.
func (s *Splitter) recording() bool { return s.level == 0 || !s.skipping }

// expectedEnd returns the name the current end tag must carry and whether it
// is known.
func (s *Splitter) expectedEnd() ([]byte, bool) {
	if s.level == 0 {
		return s.stream, true
	}
	if s.level != len(s.nameEnds) {
		return nil, false // inside a skipped element: only depth is tracked
	}
	from := 0
	if s.level > 1 {
		from = s.nameEnds[s.level-2]
	}
	return s.names[from:s.nameEnds[s.level-1]], true
}

func (s *Splitter) syntax(msg string) error {
	return &SyntaxError{Offset: s.base + int64(s.pos), Msg: msg}
}

// scan advances s.pos through buf[s.pos:s.wr] until it finds an event or
// runs out of bytes. A top-level element that is not complete after
// s.max bytes is switched to skipping at exactly that byte, so the outcome
// does not depend on how the input was split into reads.
func (s *Splitter) scan() (event, error) {
	for {
		ev, err := s.scanTo()
		if err != nil || ev != evMore || s.pos == s.wr {
			return ev, err
		}
		if s.headerMode {
			return evMore, fmt.Errorf("xmlstream: stream header larger than %d bytes: %w", s.max, ErrTooLarge)
		}
		s.startSkipping()
	}
}

// scanEnd is where scanTo must stop: the end of the data, or the size limit
// of the current top-level element.
func (s *Splitter) scanEnd() int {
	if s.inElem && !s.skipping {
		return min(s.wr, s.start+s.max)
	}
	return s.wr
}

func (s *Splitter) scanTo() (event, error) {
	buf := s.buf[:s.scanEnd()]
	for s.pos < len(buf) {
		c := buf[s.pos]
		switch s.st {
		case stText:
			if s.level > 0 {
				i := bytes.IndexByte(buf[s.pos:], '<')
				if i < 0 {
					s.pos = len(buf)
					return evMore, nil
				}
				s.pos += i
			} else if c != '<' {
				if !isSpace(c) {
					return evMore, s.syntax("text outside of a stanza")
				}
				s.pos++
				continue
			} else {
				s.start = s.pos
				s.inElem = true
				s.names, s.nameEnds = s.names[:0], s.nameEnds[:0]
				buf = s.buf[:s.scanEnd()]
			}
			s.st = stOpen
			s.pos++

		case stOpen:
			switch {
			case c == '/':
				s.st = stEndName
				s.matched = 0
			case c == '!':
				s.st = stBang
				s.matched = 0
			case c == '?':
				if !s.headerMode || s.sawDecl || s.base+int64(s.start) != 0 {
					return evMore, ErrRestrictedXML
				}
				s.st = stDecl
				s.matched = 0
			case isNameStart(c):
				s.st = stStartName
				continue // the byte is part of the name
			default:
				return evMore, s.syntax("invalid character after '<'")
			}
			s.pos++

		case stStartName:
			end := s.pos
			for end < len(buf) && nameByte[buf[end]] {
				end++
			}
			if s.recording() {
				s.names = append(s.names, buf[s.pos:end]...)
				if s.level == 0 && len(s.names) > maxTopName {
					return evMore, s.syntax("element name too long")
				}
			}
			s.pos = end
			if end == len(buf) {
				return evMore, nil
			}
			if s.recording() {
				s.nameEnds = append(s.nameEnds, len(s.names))
			}
			s.st = stInTag

		case stInTag:
			switch {
			case isSpace(c):
				s.pos++
			case c == '>':
				s.pos++
				s.st = stText
				if s.headerMode && s.level == 0 {
					return evHeader, nil
				}
				s.level++
			case c == '/':
				s.pos++
				s.st = stSlash
			case isNameStart(c):
				// A space precedes it: stStartName stops only at a
				// non-name byte and stAttrEnd demands a space.
				s.st = stAttrName
			default:
				return evMore, s.syntax("invalid character in start tag")
			}

		case stAttrName:
			for s.pos < len(buf) && nameByte[buf[s.pos]] {
				s.pos++
			}
			if s.pos < len(buf) {
				s.st = stAttrEq
			}

		case stAttrEq:
			switch {
			case isSpace(c):
			case c == '=':
				s.st = stAttrQuote
			default:
				return evMore, s.syntax("expected '=' after attribute name")
			}
			s.pos++

		case stAttrQuote:
			switch {
			case isSpace(c):
			case c == '\'' || c == '"':
				s.quote = c
				s.st = stAttrValue
			default:
				return evMore, s.syntax("attribute value is not quoted")
			}
			s.pos++

		case stAttrValue:
			rest := buf[s.pos:]
			i := bytes.IndexByte(rest, s.quote)
			if i >= 0 {
				rest = rest[:i]
			}
			if bytes.IndexByte(rest, '<') >= 0 {
				return evMore, s.syntax("'<' in attribute value")
			}
			if i < 0 {
				s.pos = len(buf)
				return evMore, nil
			}
			s.pos += i + 1
			s.st = stAttrEnd

		case stAttrEnd:
			if !isSpace(c) && c != '/' && c != '>' {
				return evMore, s.syntax("missing space between attributes")
			}
			s.st = stInTag

		case stSlash:
			if c != '>' {
				return evMore, s.syntax("expected '>' after '/'")
			}
			s.pos++
			s.st = stText
			if s.headerMode && s.level == 0 {
				return evMore, s.syntax("stream header is self-closing")
			}
			s.popName()
			if s.level == 0 {
				return evElement, nil
			}

		case stEndName:
			if s.headerMode && s.level == 0 {
				return evMore, s.syntax("end tag before the stream header")
			}
			want, known := s.expectedEnd()
			end := s.pos
			for end < len(buf) && nameByte[buf[end]] {
				end++
			}
			got := buf[s.pos:end]
			if s.matched == 0 && len(got) > 0 && !isNameStart(got[0]) {
				return evMore, s.syntax("invalid end tag name")
			}
			if known && (s.matched+len(got) > len(want) || !bytes.Equal(got, want[s.matched:s.matched+len(got)])) {
				return evMore, s.syntax("end tag does not match start tag")
			}
			s.matched += len(got)
			s.pos = end
			if end == len(buf) {
				return evMore, nil
			}
			if s.matched == 0 || known && s.matched != len(want) {
				return evMore, s.syntax("end tag does not match start tag")
			}
			s.st = stEndTail

		case stEndTail:
			switch {
			case isSpace(c):
				s.pos++
			case c == '>':
				s.pos++
				s.st = stText
				if s.level == 0 {
					return evStreamEnd, nil
				}
				s.level--
				s.popName()
				if s.level == 0 {
					return evElement, nil
				}
			default:
				return evMore, s.syntax("invalid character in end tag")
			}

		case stBang:
			if c != cdataOpen[s.matched] {
				if s.matched == 0 && (c == '-' || c == 'D') {
					return evMore, ErrRestrictedXML
				}
				return evMore, s.syntax("invalid markup after '<!'")
			}
			s.pos++
			s.matched++
			if s.matched == len(cdataOpen) {
				if s.level == 0 {
					return evMore, s.syntax("CDATA section outside of a stanza")
				}
				s.st = stCDATA
				s.matched = 0
			}

		case stCDATA:
			// s.matched counts the ']' just before s.pos (at most 2 matter).
			if s.matched == 0 {
				i := bytes.IndexByte(buf[s.pos:], ']')
				if i < 0 {
					s.pos = len(buf)
					return evMore, nil
				}
				s.pos += i + 1
				s.matched = 1
				continue
			}
			s.pos++
			switch {
			case c == ']':
				s.matched = 2
			case c == '>' && s.matched == 2:
				s.st = stText
				s.matched = 0
			default:
				s.matched = 0
			}

		case stDecl:
			s.pos++
			switch {
			case c == '?':
				s.matched = 1
			case c == '>' && s.matched == 1:
				s.sawDecl = true
				s.inElem = false
				s.st = stText
			case c == '<':
				return evMore, s.syntax("'<' in XML declaration")
			default:
				s.matched = 0
			}
		}
	}
	return evMore, nil
}

// popName forgets the innermost recorded element name, if it was recorded.
func (s *Splitter) popName() {
	if len(s.nameEnds) != s.level+1 {
		return // the element was opened while skipping and never recorded
	}
	s.nameEnds = s.nameEnds[:len(s.nameEnds)-1]
	if len(s.nameEnds) > 0 {
		s.names = s.names[:s.nameEnds[len(s.nameEnds)-1]]
	}
	// Otherwise names keeps the top-level name for a TooLargeError; it is
	// reset when the next top-level element starts.
}
