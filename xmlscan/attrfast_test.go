package xmlscan

import (
	"testing"

	"pgregory.net/rapid"
)

// genTagBytes draws the bytes after a '<' or inside a start tag: names, quotes, '=', white
// space, references and the bytes that make a value not plain, so that every branch of the
// shortcuts and of the full paths they stand for is reached.
var genTagBytes = rapid.StringOf(rapid.SampledFrom([]rune("ab:=='\"\"  \t<>&;/xlt#é\x01\x7f")))

// fastAttr is only a shortcut: whenever it answers, the full lexing and checking of the
// attribute (scanAttr, checkValue) gives the same extent and a plain value.
func TestFastAttrAgreesWithFullCheck(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := rapid.SampledFrom([]string{"'", `"`}).Draw(t, "quote")
		doc := []byte(rapid.SampledFrom([]string{"a", "xml:lang", "p:q", "_1", "a:", "1"}).Draw(t, "name") +
			rapid.SampledFrom([]string{"=", "=", " =", "= "}).Draw(t, "eq") + q +
			rapid.StringOf(rapid.SampledFrom([]rune("abcdefgh-:/'\"<&;é\x01\t\x7f"))).Draw(t, "value") +
			rapid.SampledFrom([]string{q, q, "", `'"`}).Draw(t, "close") + genTagBytes.Draw(t, "rest"))
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
