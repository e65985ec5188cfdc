package xmlscan

import (
	"encoding/binary"
	"math/bits"
)

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
	if ve = valueStop(doc, vs, q); ve == len(doc) || doc[ve] != q {
		return 0, 0, -1
	}
	return ne, vs, ve
}

// valueStop returns the offset of the first byte from i that is the quote q or not a
// plainValueByte (the other quote is one), or len(doc). It tests eight bytes at a time
// (SWAR) and jumps to the first byte found.
func valueStop(doc []byte, i int, q byte) int {
	qs := ones * uint64(q)
	for ; i+8 <= len(doc); i += 8 {
		x := binary.LittleEndian.Uint64(doc[i:])
		lt, amp, quote := x^(ones*'<'), x^(ones*'&'), x^qs
		special := ((x-ones*0x20)&^x | (lt-ones)&^lt | (amp-ones)&^amp | (quote-ones)&^quote | x) & highs
		if special != 0 {
			return i + firstMarked(special)
		}
	}
	for i < len(doc) && doc[i] != q && plainValueByte[doc[i]] {
		i++
	}
	return i
}

// Constants of the eight-bytes-at-a-time (SWAR) searches. For a word x of eight bytes read in
// little-endian order, (x-ones*c)&^x&highs marks the bytes below c, and with t = x^(ones*c),
// (t-ones)&^t&highs marks the bytes equal to c. A borrow can also mark bytes after a marked
// one, never before it: the first mark is always exact.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// firstMarked returns the index of the first byte (in memory order) marked in marks, which
// is not zero.
func firstMarked(marks uint64) int { return bits.TrailingZeros64(marks) / 8 }

// plainValueByte marks the bytes a plain attribute value is made of in fastAttr: printable
// ASCII (and DEL, an XML Char) but for '<' and '&'; the quote that opened the value ends it.
var plainValueByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '<' && c != '&'
	}
	return t
}()
