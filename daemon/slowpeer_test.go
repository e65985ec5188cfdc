package daemon

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// A server that stops reading ampd's answers while it goes on diverting: ampd's memory stays
// bounded (it stops reading in turn: TCP pushes back on the server), and once the server
// reads again every divert gets its verdict, exactly once.
func TestSlowServerBoundedAndNothingLost(t *testing.T) {
	const n = 30000
	h := start(t, func(c *config.Config) { c.Component.MaxQueued = 16 }) // 16 KiB of verdicts queued
	rules := `<rule action='notify' condition='deliver' value='stored'/>`
	pad := strings.Repeat("b", 300)
	before := heapInUse()
	if err := h.conn.SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	h.conn.StopReading()
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			h.conn.ResumeReading()
		}
	}
	t.Cleanup(resume)
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			d := strings.Replace(divert(fmt.Sprintf("s%d", i), "local", "store", msg("bob@localhost", rules)), "secret body", pad, 1)
			if err := h.conn.Send(d); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	time.Sleep(time.Second) // the server reads nothing meanwhile
	stalled := heapInUse()
	growth := int64(stalled) - int64(before)
	t.Logf("heap in use: %d KiB before, %d KiB while the server is stalled (%+d KiB)", before>>10, stalled>>10, growth>>10)
	if growth > 32<<20 {
		t.Errorf("the heap grew by %d MiB while the server was stalled", growth>>20)
	}
	resume()
	seen := make(map[string]int, n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(seen) < n {
		raw, err := h.conn.Recv(ctx)
		if err != nil {
			select {
			case serr := <-sent:
				t.Logf("sender: %v", serr)
			default:
			}
			t.Fatalf("after %d verdicts: %v; ampd_messages_total %v, queued %d", len(seen), err,
				testutil.ToFloat64(h.metrics.Messages.WithLabelValues("deliver", "notify")), h.d.client.Queued())
		}
		root, err := xmlscan.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		for c := root.Children(); c.Next(); {
			if el := c.Element(); el.Is(route.NS, "verdict") {
				id := el.AttrValue("route")
				if seen[id]++; seen[id] > 1 {
					t.Fatalf("two verdicts for %s", id)
				}
			}
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}
