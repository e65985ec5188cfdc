package xmlscan

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// parseRef reads the reference at v[0] == '&'. It returns the character it stands for and the
// reference's length, or ok false if it is not a valid reference.
func parseRef(v []byte) (r rune, n int, ok bool) {
	semi := bytes.IndexByte(v, ';')
	if semi < 2 || semi > 12 { // "&#x10FFFF;" is the longest meaningful reference
		return 0, 0, false
	}
	name := v[1:semi]
	switch string(name) {
	case "lt":
		return '<', semi + 1, true
	case "gt":
		return '>', semi + 1, true
	case "amp":
		return '&', semi + 1, true
	case "apos":
		return '\'', semi + 1, true
	case "quot":
		return '"', semi + 1, true
	}
	if name[0] != '#' || len(name) < 2 {
		return 0, 0, false
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, 0, false
	}
	for _, c := range digits {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, 0, false
		}
		r = r*base + d
		if r > utf8.MaxRune {
			return 0, 0, false
		}
	}
	if !isXMLChar(r) {
		return 0, 0, false
	}
	return r, semi + 1, true
}

// isXMLChar reports whether r is a Char of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= utf8.MaxRune
}

// checkRefs checks every reference in v; base is v's offset in the document, for errors.
func checkRefs(v []byte, base int) error {
	for i := 0; ; {
		k := bytes.IndexByte(v[i:], '&')
		if k < 0 {
			return nil
		}
		i += k
		_, n, ok := parseRef(v[i:])
		if !ok {
			return errAt(base+i, "invalid entity or character reference")
		}
		i += n
	}
}

// Plain reports whether the attribute's raw value is already its value: it holds no
// reference and no white space that attribute-value normalization would change.
func (a Attr) Plain() bool {
	if a.plain != 0 {
		return a.plain == plainYes
	}
	return plainValue(a.Value)
}

// plainValue reports whether the raw attribute value raw holds no reference and no white
// space that attribute-value normalization would change.
func plainValue(raw []byte) bool {
	for _, c := range raw {
		if c == '&' || c == '\t' || c == '\n' || c == '\r' {
			return false
		}
	}
	return true
}

// Unescape appends the attribute's value to dst: references replaced and literal tab, line
// feed and carriage return normalized to a space, as XML 1.0 §3.3.3 requires.
func (a Attr) Unescape(dst []byte) ([]byte, error) {
	return UnescapeAttr(dst, a.Value)
}

// UnescapeAttr appends the value of the raw attribute value raw to dst (see Attr.Unescape).
func UnescapeAttr(dst, raw []byte) ([]byte, error) {
	return unescape(dst, raw, true)
}

// unescape appends raw with its references replaced. In attribute values (attr) a literal
// tab, line feed, carriage return or CR LF pair becomes one space; in text a CR LF pair or a
// lone CR becomes a line feed.
func unescape(dst, raw []byte, attr bool) ([]byte, error) {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '&':
			r, n, ok := parseRef(raw[i:])
			if !ok {
				return dst, errAt(i, "invalid entity or character reference")
			}
			dst = utf8.AppendRune(dst, r)
			i += n
			continue
		case c == '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			c = '\n'
		}
		if attr && (c == '\t' || c == '\n') {
			c = ' '
		}
		dst = append(dst, c)
		i++
	}
	return dst, nil
}

// AppendEscaped appends s to dst escaped for use as text or as an attribute value in either
// quote style: & < > ' " become entity references, tab, line feed and carriage return become
// character references (so that they survive attribute-value normalization), and anything
// that is not an XML Char or not valid UTF-8 becomes U+FFFD. The output is always
// well-formed.
func AppendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		for i < len(s) && !escapeByte[s[i]] { // the common case: nothing to do
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		var rep string
		n := 1
		switch {
		case c == '&':
			rep = "&amp;"
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '\'':
			rep = "&apos;"
		case c == '"':
			rep = "&quot;"
		case c == '\t':
			rep = "&#9;"
		case c == '\n':
			rep = "&#10;"
		case c == '\r':
			rep = "&#13;"
		case c < 0x20:
			rep = "\uFFFD"
		default: // non-ASCII
			r, size := utf8.DecodeRuneInString(s[i:])
			n = size
			if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
				rep = "\uFFFD"
			}
		}
		if rep == "" {
			i += n
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, rep...)
		i += n
		start = i
	}
	return append(dst, s[start:]...)
}

// escapeByte marks the bytes AppendEscaped must look at.
var escapeByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c >= utf8.RuneSelf || strings.IndexByte(`&<>'"`, byte(c)) >= 0
	}
	return t
}()
