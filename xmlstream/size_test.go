package xmlstream

import (
	"errors"
	"io"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// drain returns every element (or TOO LARGE marker) s yields, and the final error.
func drain(s *Splitter) ([]string, error) {
	var out []string
	for {
		el, err := s.Next()
		var tl *TooLargeError
		switch {
		case errors.As(err, &tl):
			out = append(out, "TOO LARGE "+tl.Name)
		case err != nil:
			return out, err
		default:
			out = append(out, string(el))
		}
	}
}

// TestSplitterSizeProperty: the starting buffer size changes how much is read at once, never
// what comes out.
func TestSplitterSizeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(1, 400).Draw(t, "limit")
		var in strings.Builder
		in.WriteString(testHeader)
		for range rapid.IntRange(0, 8).Draw(t, "stanzas") {
			in.WriteString(rapid.SampledFrom([]string{"", " ", "\n"}).Draw(t, "ws"))
			in.WriteString(genElement(t, 4))
		}
		in.WriteString("</stream:stream>")
		limit = max(limit, len(testHeader))
		want, wantErr := drain(NewSplitter(strings.NewReader(in.String()), limit))
		size := rapid.IntRange(-1, 2*limit+1024).Draw(t, "readSize")
		chunks := rapid.SliceOfN(rapid.IntRange(1, 4096), 1, 4).Draw(t, "chunks")
		got, err := drain(NewSplitterSize(&chunkReader{data: in.String(), chunks: chunks}, limit, size))
		if err != wantErr && !(errors.Is(err, io.EOF) && errors.Is(wantErr, io.EOF)) {
			t.Fatalf("error %v, want %v", err, wantErr)
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("\n got %q\nwant %q", got, want)
		}
	})
}
