package xmlscan

import (
	"bytes"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// genTagBytes draws the bytes after a '<' or inside a start tag: names, quotes, '=', white
// space, references and the bytes that make a value not plain, so that every branch of the
// shortcuts and of the full paths they stand for is reached.
var genTagBytes = rapid.StringOf(rapid.SampledFrom([]rune("ab:=='\"\"  \t<>&;/xlt#é\x01\x7f")))

// genRest draws what follows an attribute: often nothing, so that values end near the end of
// the document, where the byte-at-a-time tails of the eight-bytes-at-a-time searches run.
var genRest = rapid.OneOf(rapid.Just(""), rapid.Just("/>"), genTagBytes)

// fastAttr is only a shortcut: whenever it answers, the full lexing and checking of the
// attribute (scanAttr, checkValue) gives the same extent and a plain value.
func TestFastAttrAgreesWithFullCheck(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := rapid.SampledFrom([]string{"'", `"`}).Draw(t, "quote")
		doc := []byte(rapid.SampledFrom([]string{"a", "xml:lang", "p:q", "_1", "a:", "1"}).Draw(t, "name") +
			rapid.SampledFrom([]string{"=", "=", " =", "= "}).Draw(t, "eq") + q +
			rapid.StringOf(rapid.SampledFrom([]rune("abcdefgh-:/'\"<&;é\x01\t\x7f"))).Draw(t, "value") +
			rapid.SampledFrom([]string{q, q, "", `'"`}).Draw(t, "close") + genRest.Draw(t, "rest"))
		ne, vs, ve := fastAttr(doc, 0)
		if ve < 0 {
			return
		}
		wne, wvs, wve, msg := scanAttr(doc, 0)
		if msg != "" || ne != wne || vs != wvs || ve != wve {
			t.Fatalf("%q: fastAttr %d %d %d, scanAttr %d %d %d %q", doc, ne, vs, ve, wne, wvs, wve, msg)
		}
		plain, err := checkValue(doc, vs, ve)
		if err != nil || !plain {
			t.Fatalf("%q: fastAttr accepts a value checkValue finds %v (plain %v)", doc, err, plain)
		}
	})
}

// Scanner.closes is only a shortcut: whenever it answers, scanTag reads an end tag ending at
// the same offset with the top element's name.
func TestClosesAgreesWithScanTag(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.SampledFrom([]string{"a", "ab", "p:a", "rule"}).Draw(t, "name")
		end := rapid.SampledFrom([]string{"</" + name + ">", "</" + name + " >", "</" + name, "</" + name + "x>",
			"</" + name[:len(name)-1] + ">", "</" + name + ":a>", "<" + name + ">"}).Draw(t, "end")
		doc := []byte("<" + name + ">" + end[:rapid.IntRange(0, len(end)).Draw(t, "cut")] + genTagBytes.Draw(t, "rest"))
		var s Scanner
		s.Reset(doc)
		if !s.Next() {
			t.Fatalf("%q: %v", doc, s.Err())
		}
		i := len(name) + 2
		if i >= len(doc) || doc[i] != '<' {
			return
		}
		closed, ok := s.closes(i)
		if !ok {
			return
		}
		var tg tag
		if err := scanTag(doc, i, true, &tg, nil); err != nil || tg.kind != kindEnd || tg.end != closed ||
			string(doc[tg.nameStart:tg.nameEnd]) != name {
			t.Fatalf("%q: closes ends at %d, scanTag %+v %v", doc, closed, tg, err)
		}
	})
}

// Every byte at every position of values up to 20 bytes, quoted both ways and followed by
// nothing or by more of the tag: fastAttr answers only where the full path accepts a plain
// value with the same extent, and answers wherever the value is ordinary printable ASCII.
func TestFastAttrEveryByte(t *testing.T) {
	for _, q := range []string{"'", `"`} {
		for n := 1; n <= 20; n++ {
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					value := []byte(strings.Repeat("v", n))
					value[pos] = byte(c)
					for _, rest := range []string{"", "/>", " b='c'>"} {
						doc := []byte("a=" + q + string(value) + q + rest)
						ne, vs, ve := fastAttr(doc, 0)
						wne, wvs, wve, msg := scanAttr(doc, 0)
						plain, err := false, error(nil)
						if msg == "" {
							plain, err = checkValue(doc, wvs, wve)
						}
						ordinary := c >= 0x20 && c < 0x80 && c != '<' && c != '&'
						switch {
						case ve >= 0 && (msg != "" || err != nil || !plain || ne != wne || vs != wvs || ve != wve):
							t.Fatalf("%q: fastAttr %d %d %d, full path %d %d %d %q %v %v", doc, ne, vs, ve, wne, wvs, wve, msg, err, plain)
						case ve < 0 && ordinary && string(rune(c)) != q:
							t.Fatalf("%q: fastAttr declines an ordinary value", doc)
						}
					}
				}
			}
		}
	}
}

// byteAt finds what bytes.IndexByte finds, from every start, in documents where the byte is
// missing, or present once or twice at every position, among bytes on either side of it.
func TestByteAt(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for _, fill := range []byte{'a', '\'' - 1, '\'' + 1, 0x80 ^ '\'', 0x81 ^ '\'', 0} {
			for pos := -1; pos < n; pos++ {
				doc := bytes.Repeat([]byte{fill}, n)
				if pos >= 0 {
					doc[pos] = '\''
					if pos+3 < n {
						doc[pos+3] = '\''
					}
				}
				for from := 0; from <= n; from++ {
					want := len(doc)
					if k := bytes.IndexByte(doc[from:], '\''); k >= 0 {
						want = from + k
					}
					if got := byteAt(doc, from, '\''); got != want {
						t.Fatalf("byteAt(%q, %d) = %d, want %d", doc, from, got, want)
					}
				}
			}
		}
	}
}
