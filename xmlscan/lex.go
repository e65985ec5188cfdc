package xmlscan

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// kind is the sort of markup that starts at a '<'.
type kind uint8

const (
	kindStart   kind = iota + 1 // <name …>
	kindEmpty                   // <name …/>
	kindEnd                     // </name>
	kindComment                 // <!-- … -->
	kindCDATA                   // <![CDATA[ … ]]>
)

// tag is one lexed piece of markup. For kindCDATA, nameStart:nameEnd is the section's content.
type tag struct {
	kind      kind
	nameStart int
	nameEnd   int
	attrEnd   int // start and empty tags: offset of the closing '>' or '/>'
	end       int // offset just past the markup
	// Only when lexed with check: the raw value of the tag's own xmlns= is doc[nsStart:nsEnd]
	// if hasNS; prefixDecl tells whether it declares any xmlns:prefix.
	nsStart, nsEnd    int
	hasNS, prefixDecl bool
}

// Byte classes of XML names (NCName: no colon). Every byte ≥ 0x80 is accepted as a name
// byte: UTF-8 is not validated (see the package comment).
var (
	nameStartByte [256]bool
	nameByte      [256]bool
)

func init() {
	for c := 0; c < 256; c++ {
		start := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
		nameStartByte[c] = start
		nameByte[c] = start || c >= '0' && c <= '9' || c == '-' || c == '.'
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && isSpace(doc[i]) {
		i++
	}
	return i
}

// scanName returns the end of the qualified name (NCName or NCName:NCName) starting at i,
// or i if there is none.
func scanName(doc []byte, i int) int {
	end := scanNCName(doc, i)
	if end == i || end >= len(doc) || doc[end] != ':' {
		return end
	}
	local := scanNCName(doc, end+1)
	if local == end+1 || local < len(doc) && doc[local] == ':' {
		return i // "p:", "p:l:x" are not qualified names
	}
	return local
}

func scanNCName(doc []byte, i int) int {
	if i >= len(doc) || !nameStartByte[doc[i]] {
		return i
	}
	i++
	for i < len(doc) && nameByte[doc[i]] {
		i++
	}
	return i
}

func hasPrefixAt(doc []byte, i int, p string) bool {
	return len(doc)-i >= len(p) && string(doc[i:i+len(p)]) == p
}

// scanTag lexes the markup at doc[i], which must be '<', into t. With check set, the tag is
// checked for well-formedness (attribute values, duplicates, comments) and t records its
// namespace declarations; without, the document is trusted to have been checked.
//
// With check, list receives the tag's attributes (nil: not wanted).
func scanTag(doc []byte, i int, check bool, t *tag, list *attrList) error {
	j := i + 1
	if j >= len(doc) {
		return errAt(i, "unexpected end of input after '<'")
	}
	switch doc[j] {
	case '/':
		return scanEndTag(doc, i, t)
	case '!':
		return scanBang(doc, i, check, t)
	case '?':
		return errAt(i, "processing instructions are not allowed")
	}
	*t = tag{nameStart: j, nameEnd: scanName(doc, j)}
	if t.nameEnd == j {
		return errAt(j, "expected an element name")
	}
	if !check {
		return skipAttrs(doc, t)
	}
	pos := t.nameEnd
	if list == nil {
		list = new(attrList) // stays on the stack: scanTag does not keep it
	}
	list.n, list.bloom = 0, 0
	for {
		k := skipSpace(doc, pos)
		if k >= len(doc) {
			return errAt(k, "unexpected end of input in start tag")
		}
		switch doc[k] {
		case '>':
			t.kind, t.attrEnd, t.end = kindStart, k, k+1
			return nil
		case '/':
			if k+1 < len(doc) && doc[k+1] == '>' {
				t.kind, t.attrEnd, t.end = kindEmpty, k, k+2
				return nil
			}
			return errAt(k, "expected '>' after '/'")
		}
		if k == pos {
			return errAt(k, "expected whitespace before an attribute")
		}
		ne, vs, ve := fastAttr(doc, k)
		plain := true
		if ve < 0 { // not written the common way: lexed and checked in full
			var msg string
			if ne, vs, ve, msg = scanAttr(doc, k); msg != "" {
				return errAt(ve, msg)
			}
			var err error
			if plain, err = checkValue(doc, vs, ve); err != nil {
				return err
			}
		}
		if err := list.add(doc, t.nameEnd, k, ne, vs, ve, plain); err != nil {
			return err
		}
		switch name := doc[k:ne]; {
		case string(name) == "xmlns":
			t.hasNS, t.nsStart, t.nsEnd = true, vs, ve
		case len(name) > 6 && string(name[:6]) == "xmlns:":
			t.prefixDecl = true
		}
		pos = ve + 1
	}
}

// checkValue checks the raw attribute value doc[vs:ve]: no '<', valid references, XML Chars
// only, and reports whether it is plain (the raw value is the value).
func checkValue(doc []byte, vs, ve int) (plain bool, err error) {
	// One pass over the (short) value is cheaper than two bytes.IndexByte calls.
	// Values are also checked for XML Chars (cheap here, and it makes every value ampd reads
	// writable again); text is not.
	value := doc[vs:ve]
	plain = true
	for i := ordinary(value, 0); i < len(value); i = ordinary(value, i+1) {
		switch c := value[i]; {
		case c == '<':
			return false, errAt(vs+i, "'<' in an attribute value")
		case c == '&':
			_, n, ok := parseRef(value[i:])
			if !ok {
				return false, errAt(vs+i, "invalid entity or character reference")
			}
			i += n - 1
			plain = false
		case c < 0x20:
			if c != '\t' && c != '\n' && c != '\r' {
				return false, errAt(vs+i, "invalid character in an attribute value")
			}
			plain = false
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(value[i:])
			if r == utf8.RuneError && n == 1 || !isXMLChar(r) {
				return false, errAt(vs+i, "invalid character in an attribute value")
			}
			i += n - 1
		}
	}
	return plain, nil
}

// add records the attribute doc[start:ne]=doc[vs:ve], whose value has been checked, of the
// tag whose name ends at nameEnd: it fails for one attribute too many and for a name written
// twice.
func (names *attrList) add(doc []byte, nameEnd, start, ne, vs, ve int, plain bool) error {
	name := doc[start:ne]
	if names.n == MaxAttrs {
		return errAt(start, "too many attributes on one element")
	}
	// The names of a start tag rarely share their length and first and last bytes: a filter
	// on those spares most of the comparisons with every earlier name.
	bit := uint64(1) << ((uint(len(name))*7 + uint(name[0]) + uint(name[len(name)-1])*3) & 63)
	if names.bloom&bit != 0 && names.seen(doc, nameEnd, start, name) {
		return errAt(start, "attribute "+string(name)+" written twice")
	}
	names.bloom |= bit
	if names.n < len(names.spans) {
		// Field by field: a composite literal is built on the stack and block-copied, and the
		// 16-byte loads of that copy stall on the small stores just made (store forwarding).
		sp := &names.spans[names.n]
		sp.start, sp.nameEnd, sp.valueStart, sp.valueEnd = int32(start), int32(ne), int32(vs), int32(ve)
		sp.known, sp.plain = true, plain
	}
	names.n++
	return nil
}

// ordinary returns the offset of the first byte of value from i that checkAttr must look at:
// '<', '&', a control character or a non-ASCII byte; len(value) if none. It tests eight bytes
// at a time (SWAR), four times as fast as a byte loop on this path, which reads every
// attribute value of every stanza.
func ordinary(value []byte, i int) int {
	for ; i+8 <= len(value); i += 8 {
		x := binary.LittleEndian.Uint64(value[i:])
		lt, amp := x^(ones*'<'), x^(ones*'&')
		special := (x-ones*0x20)&^x | (lt-ones)&^lt | (amp-ones)&^amp | x
		if special&highs != 0 {
			break
		}
	}
	for ; i < len(value); i++ {
		if c := value[i]; c == '<' || c == '&' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// attrList records the first attributes of a start tag as they are checked: it finds
// duplicates without rescanning the tag, and lets a Scanner hand them out without lexing
// them again.
type attrList struct {
	n     int    // attributes seen; only the first len(spans) are recorded
	bloom uint64 // a bit for each name seen, by a hash of its length, first and last bytes
	spans [8]attrSpan
}

// attrSpan is where an attribute is. Offsets are 32-bit to keep the list compact (see
// Scanner.Reset for the size limit).
type attrSpan struct {
	start, nameEnd, valueStart, valueEnd int32
	known, plain                         bool // plain (the raw value is the value) is known
}

// complete reports whether every attribute of the tag is recorded.
func (s *attrList) complete() bool { return s.n <= len(s.spans) }

// seen reports whether an attribute before start, in the tag whose name ends at nameEnd, is
// called name.
func (s *attrList) seen(doc []byte, nameEnd, start int, name []byte) bool {
	if !s.complete() || s.n == len(s.spans) {
		return earlierAttr(doc, nameEnd, start, name)
	}
	for _, sp := range s.spans[:s.n] {
		if string(doc[sp.start:sp.nameEnd]) == string(name) {
			return true
		}
	}
	return false
}

// skipAttrs finds the end of a start tag of a document already checked by Parse, jumping
// over quoted values without lexing the attributes.
func skipAttrs(doc []byte, t *tag) error {
	for k := t.nameEnd; k < len(doc); k++ {
		for k < len(doc) && !tagDelimiter[doc[k]] { // a table, not the switch, for the bytes between
			k++
		}
		if k == len(doc) {
			break
		}
		switch c := doc[k]; c {
		case '>':
			if doc[k-1] == '/' {
				t.kind, t.attrEnd, t.end = kindEmpty, k-1, k+1
			} else {
				t.kind, t.attrEnd, t.end = kindStart, k, k+1
			}
			return nil
		case '\'', '"':
			n := byteAt(doc, k+1, c)
			if n == len(doc) {
				return errAt(k, "unterminated attribute value")
			}
			k = n
		}
	}
	return errAt(len(doc), "unexpected end of input in start tag")
}

// byteAt returns the offset of the first c in doc from i, or len(doc). It tests eight bytes at
// a time, as valueStop does: for the short runs of attribute values, that beats the call to
// bytes.IndexByte.
func byteAt(doc []byte, i int, c byte) int {
	cs := ones * uint64(c)
	for ; i+8 <= len(doc); i += 8 {
		t := binary.LittleEndian.Uint64(doc[i:]) ^ cs
		if marks := (t - ones) &^ t & highs; marks != 0 {
			return i + firstMarked(marks)
		}
	}
	for i < len(doc) && doc[i] != c {
		i++
	}
	return i
}

// tagDelimiter marks the bytes skipAttrs stops at: the end of the tag and the quotes. (A
// table beats eight-bytes-at-a-time tests here: the runs between them are short.)
var tagDelimiter = [256]bool{'>': true, '\'': true, '"': true}

func scanEndTag(doc []byte, i int, t *tag) error {
	ns := i + 2
	ne := scanName(doc, ns)
	if ne == ns {
		return errAt(ns, "expected an element name in end tag")
	}
	k := skipSpace(doc, ne)
	if k >= len(doc) || doc[k] != '>' {
		return errAt(k, "expected '>' to close the end tag")
	}
	*t = tag{kind: kindEnd, nameStart: ns, nameEnd: ne, end: k + 1}
	return nil
}

// scanBang lexes a comment or CDATA section at doc[i] ("<!"); anything else (DOCTYPE, other
// declarations) is rejected.
func scanBang(doc []byte, i int, check bool, t *tag) error {
	switch {
	case hasPrefixAt(doc, i, "<!--"):
		body := i + 4
		k := bytes.Index(doc[body:], []byte("-->"))
		if k < 0 {
			return errAt(i, "unterminated comment")
		}
		if check {
			text := doc[body : body+k]
			if bytes.Contains(text, []byte("--")) || len(text) > 0 && text[len(text)-1] == '-' {
				return errAt(i, "'--' inside a comment")
			}
		}
		*t = tag{kind: kindComment, end: body + k + 3}
		return nil
	case hasPrefixAt(doc, i, "<![CDATA["):
		body := i + 9
		k := bytes.Index(doc[body:], []byte("]]>"))
		if k < 0 {
			return errAt(i, "unterminated CDATA section")
		}
		*t = tag{kind: kindCDATA, nameStart: body, nameEnd: body + k, end: body + k + 3}
		return nil
	}
	return errAt(i, "markup declarations are not allowed")
}

// scanAttr lexes the attribute whose name starts at doc[i]: its name ends at ne, its raw
// value is doc[vs:ve] (the closing quote is at ve). If msg is not empty, the attribute is
// malformed and ve is the offset of the error.
func scanAttr(doc []byte, i int) (ne, vs, ve int, msg string) {
	ne = scanName(doc, i)
	if ne == i {
		return 0, 0, i, "expected an attribute name"
	}
	k := skipSpace(doc, ne)
	if k >= len(doc) || doc[k] != '=' {
		return 0, 0, k, "expected '=' after attribute name"
	}
	k = skipSpace(doc, k+1)
	if k >= len(doc) || doc[k] != '\'' && doc[k] != '"' {
		return 0, 0, k, "expected a quoted attribute value"
	}
	vs = k + 1
	n := bytes.IndexByte(doc[vs:], doc[k])
	if n < 0 {
		return 0, 0, k, "unterminated attribute value"
	}
	return ne, vs, vs + n, ""
}

// MaxAttrs is the largest number of attributes Parse accepts on one element. It bounds the
// cost of the duplicate check, which rescans the earlier attributes of a tag that has many.
const MaxAttrs = 64

// earlierAttr reports whether an attribute between from and start is called name. The
// attributes before start have already been lexed successfully.
func earlierAttr(doc []byte, from, start int, name []byte) bool {
	for pos := skipSpace(doc, from); pos < start; pos = skipSpace(doc, pos) {
		ne, _, ve, msg := scanAttr(doc, pos)
		if msg != "" {
			return false
		}
		if string(doc[pos:ne]) == string(name) {
			return true
		}
		pos = ve + 1
	}
	return false
}
