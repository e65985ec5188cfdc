package xmlstream

import (
	"io"
	"strings"
	"testing"
)

// repeatReader serves the same stream body forever, like a busy connection.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

// BenchmarkSplitter measures a stream of small message stanzas like the ones
// ampd receives (one diverted AMP message each).
func BenchmarkSplitter(b *testing.B) {
	stanza := `<message from='localhost' to='amp.localhost' id='route-123456'><message xmlns='jabber:client' from='romeo@localhost/orchard' to='juliet@localhost' id='m1'><body>Wherefore art thou?</body><amp xmlns='http://jabber.org/protocol/amp'><rule condition='deliver' action='drop' value='stored'/></amp></message></message>` + "\n"
	body := []byte(strings.Repeat(stanza, 64))
	r := &repeatReader{data: body}
	s := NewSplitter(io.MultiReader(strings.NewReader(testHeader), r), 1<<16)
	if _, err := s.Header(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(stanza)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Next(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stanzas/s")
}

// BenchmarkSplitterTiny measures the smallest realistic stanzas.
func BenchmarkSplitterTiny(b *testing.B) {
	stanza := `<iq type='result' id='a1' to='x@y'/>`
	r := &repeatReader{data: []byte(strings.Repeat(stanza, 128))}
	s := NewSplitter(io.MultiReader(strings.NewReader(testHeader), r), 1<<16)
	if _, err := s.Header(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(stanza)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Next(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stanzas/s")
}
