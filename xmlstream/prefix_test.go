package xmlstream

import (
	"errors"
	"io"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// prefixes returns, for every element s skips as too large, the Prefix its error carries.
func prefixes(s *Splitter) []string {
	var out []string
	for {
		_, err := s.Next()
		var tl *TooLargeError
		switch {
		case errors.As(err, &tl):
			out = append(out, string(tl.Prefix))
		case err != nil:
			return out
		}
	}
}

// TestTooLargePrefixProperty: an oversized element's error carries its first
// min(limit, PrefixBytes) bytes exactly, however the input was split into reads.
func TestTooLargePrefixProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(1, 400).Draw(t, "limit")
		var in strings.Builder
		var want []string
		for range rapid.IntRange(0, 8).Draw(t, "stanzas") {
			el := genElement(t, 4)
			in.WriteString(el)
			if len(el) > limit {
				want = append(want, el[:min(limit, PrefixBytes)])
			}
		}
		in.WriteString("</stream:stream>")
		chunks := rapid.SliceOfN(rapid.IntRange(1, 64), 1, 10).Draw(t, "chunks")
		s := NewSplitter(io.MultiReader(strings.NewReader(testHeader), &chunkReader{data: in.String(), chunks: chunks}), len(testHeader))
		if _, err := s.Header(); err != nil {
			t.Fatal(err)
		}
		s.max = limit
		if got := prefixes(s); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("\n got %q\nwant %q", got, want)
		}
	})
}

// TestTooLargePrefixCapped: a prefix never exceeds PrefixBytes, and the stream goes on.
func TestTooLargePrefixCapped(t *testing.T) {
	big := "<message id='r1'><body>" + strings.Repeat("x", 3*PrefixBytes) + "</body></message>"
	s := NewSplitter(strings.NewReader(testHeader+big+"<iq/></stream:stream>"), 2*PrefixBytes)
	_, err := s.Next()
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("err %v, want a TooLargeError", err)
	}
	if string(tl.Prefix) != big[:PrefixBytes] {
		t.Fatalf("prefix is %d bytes, want the element's first %d", len(tl.Prefix), PrefixBytes)
	}
	if el, err := s.Next(); err != nil || string(el) != "<iq/>" {
		t.Fatalf("after the skipped element: %q, %v", el, err)
	}
}
