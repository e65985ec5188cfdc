package component

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

// oversizeRecorder is a Preparer and an OversizeHandler that logs what reaches it, in order.
type oversizeRecorder struct {
	t      *testing.T
	mu     sync.Mutex
	events []string
	gone   chan struct{}
}

func (r *oversizeRecorder) Connected()         {}
func (r *oversizeRecorder) Stanza([]byte)      { r.t.Error("Stanza called on a Preparer") }
func (r *oversizeRecorder) Disconnected(error) { close(r.gone) }
func (r *oversizeRecorder) Prepare(raw []byte) any {
	if strings.HasPrefix(string(raw), "<big") {
		r.t.Errorf("Prepare called with an oversized stanza's prefix %.20q", raw)
	}
	return string(raw)
}

func (r *oversizeRecorder) StanzaPrepared(raw []byte, p any) {
	if p.(string) != string(raw) {
		r.t.Errorf("stanza %.20q prepared as %.20q", raw, p)
	}
	r.record(string(raw))
}

func (r *oversizeRecorder) Oversized(prefix []byte) { r.record("OVERSIZED " + string(prefix)) }

func (r *oversizeRecorder) record(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// An OversizeHandler gets the first bytes of every stanza over the limit, in its place among
// the others, instead of losing it; the connection goes on.
func TestOversizedReachesHandlerInOrder(t *testing.T) {
	const limit = 300
	rec := &oversizeRecorder{t: t, gone: make(chan struct{})}
	conn := runClientWith(t, rec, func(c *Config) { c.MaxStanzaBytes = limit })
	var burst strings.Builder
	var want []string
	for i := range 200 {
		if i%7 == 3 {
			big := fmt.Sprintf("<big id='%d'>%s</big>", i, strings.Repeat("z", limit+i))
			burst.WriteString(big)
			want = append(want, "OVERSIZED "+big[:min(limit, xmlstream.PrefixBytes)])
			continue
		}
		small := fmt.Sprintf("<message id='%d'/>", i)
		burst.WriteString(small)
		want = append(want, small)
	}
	if err := conn.Send(burst.String()); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	receive(t, rec.gone, "Disconnected call")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if strings.Join(rec.events, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %d events, want %d, in order:\n%q", len(rec.events), len(want), rec.events)
	}
}
