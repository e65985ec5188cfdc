package component

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ampd-xmpp/ampd/component/componenttest"
)

// idleRecorder is a Handler and Idler that logs every call in order and fails on overlap.
type idleRecorder struct {
	t      *testing.T
	inside atomic.Int32
	mu     sync.Mutex
	events []string
	gone   chan error
}

func (r *idleRecorder) enter() func() {
	if r.inside.Add(1) != 1 {
		r.t.Error("two Handler calls ran at the same time")
	}
	return func() { r.inside.Add(-1) }
}

func (r *idleRecorder) log(e string) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *idleRecorder) Connected() { defer r.enter()(); r.log("connected") }
func (r *idleRecorder) Idle()      { defer r.enter()(); r.log("idle") }
func (r *idleRecorder) Stanza(raw []byte) {
	defer r.enter()()
	r.log(string(raw))
}
func (r *idleRecorder) Disconnected(err error) {
	defer r.enter()()
	r.log("disconnected")
	r.gone <- err
}

func (r *idleRecorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// runClient runs a Client with handler h against a fake server until the test ends and
// returns the server's side of its connection.
func runClient(t *testing.T, h Handler) *componenttest.Conn {
	t.Helper()
	return runClientWith(t, h, nil)
}

// runClientWith is runClient with the Client's configuration changed by tweak first.
func runClientWith(t *testing.T, h Handler, tweak func(*Config)) *componenttest.Conn {
	t.Helper()
	srv := startServer(t, "127.0.0.1:0", testSecret)
	cfg := testConfig(srv.Addr())
	cfg.Logger = slog.New(slog.DiscardHandler)
	if tweak != nil {
		tweak(&cfg)
	}
	client := New(cfg, h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- client.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	actx, acancel := context.WithTimeout(context.Background(), eventually)
	defer acancel()
	conn, err := srv.Accept(actx)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// Stanzas that arrive together reach the Handler in order, one call at a time, each group
// followed by Idle; when the server closes, every stanza read is handled before Disconnected.
func TestDispatchOrderIdleAndDisconnect(t *testing.T) {
	const n = 500
	rec := &idleRecorder{t: t, gone: make(chan error, 1)}
	conn := runClient(t, rec)
	var burst strings.Builder
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("<message id='%d'><body>%s</body></message>", i, strings.Repeat("x", i%700))
		burst.WriteString(want[i])
	}
	if err := conn.Send(burst.String()); err != nil { // one write: groups of many stanzas
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	receive(t, rec.gone, "Disconnected call")

	events := rec.snapshot()
	if events[0] != "connected" || events[len(events)-1] != "disconnected" {
		t.Fatalf("events start %q and end %q", events[0], events[len(events)-1])
	}
	var got []string
	idles := 0
	for i, e := range events[1 : len(events)-1] {
		switch {
		case e == "idle":
			idles++
			if i == 0 || events[i] == "idle" {
				t.Fatalf("Idle at event %d does not follow a stanza", i+1)
			}
		case e == "connected" || e == "disconnected":
			t.Fatalf("unexpected %s at event %d", e, i+1)
		default:
			got = append(got, e)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stanzas differ: got %d, want %d (order or content)", len(got), len(want))
	}
	if events[len(events)-2] != "idle" {
		t.Error("the last group of stanzas was not followed by Idle")
	}
	if idles >= n {
		t.Errorf("%d Idle calls for %d stanzas sent in one write: nothing was grouped", idles, n)
	}
}

// prepRecorder is a Preparer that keeps the bytes Prepare saw and checks them again later.
type prepRecorder struct {
	t        *testing.T
	mu       sync.Mutex
	prepared int
	handled  []string
	gone     chan struct{}
}

type preparedStanza struct {
	seen []byte // the very slice Prepare was given, not a copy
	want string // its content then
	n    int
}

func (r *prepRecorder) Connected()         {}
func (r *prepRecorder) Stanza([]byte)      { r.t.Error("Stanza called on a Preparer") }
func (r *prepRecorder) Disconnected(error) { close(r.gone) }
func (r *prepRecorder) Prepare(raw []byte) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prepared++
	return &preparedStanza{seen: raw, want: string(raw), n: r.prepared}
}

func (r *prepRecorder) StanzaPrepared(raw []byte, p any) {
	ps := p.(*preparedStanza)
	if string(ps.seen) != ps.want || string(raw) != ps.want {
		r.t.Errorf("stanza %d changed between Prepare and StanzaPrepared", ps.n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ps.n != len(r.handled)+1 {
		r.t.Errorf("stanza prepared as #%d handled as #%d", ps.n, len(r.handled)+1)
	}
	r.handled = append(r.handled, string(raw))
}

// A Preparer's Prepare sees every stanza in order, and the bytes it kept are still in place
// (not reused, not moved) when StanzaPrepared gets them, also around a stanza larger than a
// whole group.
func TestDispatchPreparer(t *testing.T) {
	rec := &prepRecorder{t: t, gone: make(chan struct{})}
	conn := runClient(t, rec)
	var burst strings.Builder
	var want []string
	for i := range 400 {
		size := i % 900
		if i == 150 {
			size = 3 * batchBytes // a stanza no group buffer holds
		}
		want = append(want, fmt.Sprintf("<message id='%d'><body>%s</body></message>", i, strings.Repeat("y", size)))
		burst.WriteString(want[i])
	}
	if err := conn.Send(burst.String()); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	receive(t, rec.gone, "Disconnected call")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if strings.Join(rec.handled, "\n") != strings.Join(want, "\n") {
		t.Fatalf("handled %d stanzas, want %d, in order", len(rec.handled), len(want))
	}
}
