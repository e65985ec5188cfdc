package xmlscan

import "encoding/binary"

// fastAttr lexes and checks the attribute whose name starts at doc[i] when it is written the
// common way: name='value' or name="value", no white space around '=', and a value of
// printable ASCII without '<' or '&' (the other quote is allowed). The value is then plain.
// For anything else it returns ve -1 and the attribute must be lexed and checked in full
// (scanAttr, checkValue), which accepts the common form with exactly the same result: this
// is only a shortcut, one pass over the value instead of a search for the closing quote
// followed by a check of the bytes before it.
func fastAttr(doc []byte, i int) (ne, vs, ve int) {
	ne = scanName(doc, i)
	if ne == i || ne+1 >= len(doc) || doc[ne] != '=' {
		return 0, 0, -1
	}
	q := doc[ne+1]
	if q != '\'' && q != '"' {
		return 0, 0, -1
	}
	vs = ne + 2
	for j := vs; ; j++ {
		if j = valueStop(doc, j); j >= len(doc) {
			return 0, 0, -1
		}
		switch doc[j] {
		case q:
			return ne, vs, j
		case '\'', '"':
			continue // the other quote is an ordinary byte of this value
		}
		return 0, 0, -1
	}
}

// valueStop returns the offset of the first byte from i that is not a plainValueByte, or
// len(doc). Like ordinary, it tests eight bytes at a time.
func valueStop(doc []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(doc); i += 8 {
		x := binary.LittleEndian.Uint64(doc[i:])
		lt, amp, apos, quot := x^(ones*'<'), x^(ones*'&'), x^(ones*'\''), x^(ones*'"')
		special := (x-ones*0x20)&^x | (lt-ones)&^lt | (amp-ones)&^amp | (apos-ones)&^apos |
			(quot-ones)&^quot | x
		if special&highs != 0 {
			break
		}
	}
	for i < len(doc) && plainValueByte[doc[i]] {
		i++
	}
	return i
}

// plainValueByte marks the bytes a plain attribute value is made of in fastAttr: printable
// ASCII (and DEL, an XML Char) but for the quotes, '<' and '&'.
var plainValueByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '<' && c != '&' && c != '\'' && c != '"'
	}
	return t
}()
