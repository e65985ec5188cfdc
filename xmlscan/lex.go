package xmlscan

import "bytes"

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

// scanTag lexes the markup at doc[i], which must be '<'. With check set, attribute values and
// comments are checked for well-formedness too.
func scanTag(doc []byte, i int, check bool) (tag, error) {
	j := i + 1
	if j >= len(doc) {
		return tag{}, errAt(i, "unexpected end of input after '<'")
	}
	switch doc[j] {
	case '/':
		return scanEndTag(doc, i)
	case '!':
		return scanBang(doc, i, check)
	case '?':
		return tag{}, errAt(i, "processing instructions are not allowed")
	}
	t := tag{nameStart: j, nameEnd: scanName(doc, j)}
	if t.nameEnd == j {
		return tag{}, errAt(j, "expected an element name")
	}
	pos := t.nameEnd
	nattrs := 0
	for {
		k := skipSpace(doc, pos)
		if k >= len(doc) {
			return tag{}, errAt(k, "unexpected end of input in start tag")
		}
		switch doc[k] {
		case '>':
			t.kind, t.attrEnd, t.end = kindStart, k, k+1
			return t, nil
		case '/':
			if k+1 < len(doc) && doc[k+1] == '>' {
				t.kind, t.attrEnd, t.end = kindEmpty, k, k+2
				return t, nil
			}
			return tag{}, errAt(k, "expected '>' after '/'")
		}
		if k == pos {
			return tag{}, errAt(k, "expected whitespace before an attribute")
		}
		a, err := scanAttr(doc, k, check)
		if err != nil {
			return tag{}, err
		}
		if check {
			if nattrs++; nattrs > MaxAttrs {
				return tag{}, errAt(a.Start, "too many attributes on one element")
			}
			if earlierAttr(doc, t.nameEnd, a) {
				return tag{}, errAt(a.Start, "attribute "+string(a.Name)+" written twice")
			}
		}
		pos = a.End
	}
}

func scanEndTag(doc []byte, i int) (tag, error) {
	ns := i + 2
	ne := scanName(doc, ns)
	if ne == ns {
		return tag{}, errAt(ns, "expected an element name in end tag")
	}
	k := skipSpace(doc, ne)
	if k >= len(doc) || doc[k] != '>' {
		return tag{}, errAt(k, "expected '>' to close the end tag")
	}
	return tag{kind: kindEnd, nameStart: ns, nameEnd: ne, end: k + 1}, nil
}

// scanBang lexes a comment or CDATA section at doc[i] ("<!"); anything else (DOCTYPE, other
// declarations) is rejected.
func scanBang(doc []byte, i int, check bool) (tag, error) {
	switch {
	case hasPrefixAt(doc, i, "<!--"):
		body := i + 4
		k := bytes.Index(doc[body:], []byte("-->"))
		if k < 0 {
			return tag{}, errAt(i, "unterminated comment")
		}
		if check {
			text := doc[body : body+k]
			if bytes.Contains(text, []byte("--")) || len(text) > 0 && text[len(text)-1] == '-' {
				return tag{}, errAt(i, "'--' inside a comment")
			}
		}
		return tag{kind: kindComment, end: body + k + 3}, nil
	case hasPrefixAt(doc, i, "<![CDATA["):
		body := i + 9
		k := bytes.Index(doc[body:], []byte("]]>"))
		if k < 0 {
			return tag{}, errAt(i, "unterminated CDATA section")
		}
		return tag{kind: kindCDATA, nameStart: body, nameEnd: body + k, end: body + k + 3}, nil
	}
	return tag{}, errAt(i, "markup declarations are not allowed")
}

// scanAttr lexes the attribute whose name starts at doc[i].
func scanAttr(doc []byte, i int, check bool) (Attr, error) {
	ne := scanName(doc, i)
	if ne == i {
		return Attr{}, errAt(i, "expected an attribute name")
	}
	k := skipSpace(doc, ne)
	if k >= len(doc) || doc[k] != '=' {
		return Attr{}, errAt(k, "expected '=' after attribute name")
	}
	k = skipSpace(doc, k+1)
	if k >= len(doc) || doc[k] != '\'' && doc[k] != '"' {
		return Attr{}, errAt(k, "expected a quoted attribute value")
	}
	vs := k + 1
	ve := bytes.IndexByte(doc[vs:], doc[k])
	if ve < 0 {
		return Attr{}, errAt(k, "unterminated attribute value")
	}
	ve += vs
	a := Attr{Name: doc[i:ne:ne], Value: doc[vs:ve:ve], Start: i, End: ve + 1}
	if check {
		if lt := bytes.IndexByte(a.Value, '<'); lt >= 0 {
			return Attr{}, errAt(vs+lt, "'<' in an attribute value")
		}
		if err := checkRefs(a.Value, vs); err != nil {
			return Attr{}, err
		}
	}
	return a, nil
}

// MaxAttrs is the largest number of attributes Parse accepts on one element. It bounds the
// cost of the duplicate check, which rescans the earlier attributes of the tag (cheaper than
// bookkeeping for the handful of attributes real stanzas have).
const MaxAttrs = 64

// earlierAttr reports whether an attribute between from and a has a's name. The attributes
// before a have already been lexed successfully.
func earlierAttr(doc []byte, from int, a Attr) bool {
	for pos := skipSpace(doc, from); pos < a.Start; pos = skipSpace(doc, pos) {
		b, err := scanAttr(doc, pos, false)
		if err != nil {
			return false
		}
		if bytes.Equal(b.Name, a.Name) {
			return true
		}
		pos = b.End
	}
	return false
}
