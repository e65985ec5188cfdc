package xmlcanon

import (
	"fmt"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Without returns a copy of the element in raw with every descendant element
// (any depth, the root excepted) of namespace ns and local name local cut
// out, bytes and all; everything else is kept byte for byte. A test uses it to
// compare a delivered message with the one sent, except for a child the
// server was expected to add or change (e.g. the <amp/> stamping).
func Without(raw []byte, ns, local string) ([]byte, error) {
	type span struct{ start, end int }
	var (
		cut []span
		s   xmlscan.Scanner
	)
	s.Reset(raw)
	for s.Next() {
		if s.IsStart() || s.Depth() == 1 || !s.Is(ns, local) {
			continue
		}
		e := s.Element()
		start, end := e.Range()
		// Ends arrive innermost first: a match inside an earlier-ended one is
		// replaced by the enclosing match.
		for len(cut) > 0 && cut[len(cut)-1].start >= start {
			cut = cut[:len(cut)-1]
		}
		cut = append(cut, span{start, end})
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("xmlcanon: %w", err)
	}
	out := make([]byte, 0, len(raw))
	prev := 0
	for _, c := range cut {
		out = append(out, raw[prev:c.start]...)
		prev = c.end
	}
	return append(out, raw[prev:]...), nil
}
