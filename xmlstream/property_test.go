package xmlstream

import (
	"errors"
	"io"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// genName draws an element or attribute name, sometimes prefixed.
func genName(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{"a", "body", "message", "x:y", "stream:error", "iq", "q-1", "é", "a.b_c"}).Draw(t, label)
}

// genText draws character data: escapes, '>' and quotes are all legal.
func genText(t *rapid.T, label string) string {
	parts := rapid.SliceOfN(rapid.SampledFrom([]string{"hi", " ", "\n", "&amp;", "&lt;", "&#x3e;", ">", "'", "\"", "/", "]", "]]", "ü"}), 0, 6).Draw(t, label)
	return strings.Join(parts, "")
}

// genElement draws a well-formed element up to the given depth.
func genElement(t *rapid.T, depth int) string {
	name := genName(t, "name")
	var b strings.Builder
	b.WriteString("<" + name)
	for i := range rapid.IntRange(0, 3).Draw(t, "attrs") {
		q := rapid.SampledFrom([]string{"'", "\""}).Draw(t, "quote")
		other := map[string]string{"'": "\"", "\"": "'"}[q]
		val := rapid.SampledFrom([]string{"", "x", ">", "/>", "/", other, "a&amp;b", "&lt;/message>"}).Draw(t, "value")
		b.WriteString(rapid.SampledFrom([]string{" ", "\n", "  "}).Draw(t, "space"))
		b.WriteString(string(rune('a'+i)) + rapid.SampledFrom([]string{"=", " = "}).Draw(t, "eq") + q + val + q)
	}
	b.WriteString(rapid.SampledFrom([]string{"", " "}).Draw(t, "tagspace"))
	if depth == 0 || rapid.Bool().Draw(t, "empty") {
		b.WriteString("/>")
		return b.String()
	}
	b.WriteString(">")
	for range rapid.IntRange(0, 3).Draw(t, "children") {
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			b.WriteString(genText(t, "text"))
		case 1:
			b.WriteString("<![CDATA[" + strings.ReplaceAll(genText(t, "cdata")+"<x>&", "]]>", "") + "]]>")
		default:
			b.WriteString(genElement(t, depth-1))
		}
	}
	b.WriteString("</" + name + rapid.SampledFrom([]string{"", " "}).Draw(t, "endspace") + ">")
	return b.String()
}

// chunkReader returns the input in the given chunk sizes, cycling.
type chunkReader struct {
	data   string
	chunks []int
	i      int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(r.chunks[r.i%len(r.chunks)], len(p), len(r.data))
	r.i++
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// TestSplitProperty: well-formed stanzas concatenated with whitespace and fed
// in random chunks come out identical; those above the limit come out as
// TooLargeError with their name, and the stream continues.
func TestSplitProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(1, 400).Draw(t, "limit")
		var in strings.Builder
		var want []string
		for range rapid.IntRange(0, 8).Draw(t, "stanzas") {
			in.WriteString(rapid.SampledFrom([]string{"", " ", "\n", " \t\r\n"}).Draw(t, "ws"))
			el := genElement(t, 4)
			in.WriteString(el)
			if len(el) > limit {
				want = append(want, "TOO LARGE "+string(Name([]byte(el))))
			} else {
				want = append(want, el)
			}
		}
		in.WriteString("</stream:stream>")
		chunks := rapid.SliceOfN(rapid.IntRange(1, 64), 1, 10).Draw(t, "chunks")
		_, got, err := splitAllAfter([]byte(testHeader), &chunkReader{data: in.String(), chunks: chunks}, limit)
		if err != io.EOF {
			t.Fatalf("err %v", err)
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("\n got %q\nwant %q", got, want)
		}
	})
}

// FuzzSplitter: any input never panics, every returned element is a
// substring of the input, and errors are of the documented kinds.
func FuzzSplitter(f *testing.F) {
	for _, tc := range splitTests {
		f.Add([]byte(testHeader+tc.in), uint8(3), uint16(60))
	}
	f.Add([]byte("<stream:stream><a b='>'/><![CDATA[x]]></stream:stream>"), uint8(1), uint16(10))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8, limit uint16) {
		r := &chunkReader{data: string(in), chunks: []int{int(chunk%32) + 1}}
		s := NewSplitter(r, int(limit))
		for range len(in) + 2 {
			el, err := s.Next()
			var tl *TooLargeError
			switch {
			case errors.As(err, &tl):
				continue
			case err == io.EOF || err == io.ErrUnexpectedEOF ||
				errors.Is(err, ErrNotWellFormed) || errors.Is(err, ErrRestrictedXML) || errors.Is(err, ErrTooLarge):
				return
			case err != nil:
				t.Fatalf("undocumented error %v", err)
			}
			if len(el) > int(max(limit, 1)) || !strings.Contains(string(in), string(el)) {
				t.Fatalf("element %q not a substring of the input or too long", el)
			}
			if Name(el) == nil || el[len(el)-1] != '>' {
				t.Fatalf("element %q does not look like one", el)
			}
		}
		t.Fatalf("no end after %d calls", len(in)+2)
	})
}
