package component

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/component/componenttest"
)

// answering is a Handler that answers every stanza through its Client, the way ampd answers
// diverts: with Send, or with SendWait when wait is set. A stanza with id='hold' makes it wait
// for release (after signalling entered) before answering.
type answering struct {
	c        *Client
	wait     bool
	answers  int // answers per stanza
	pad      string
	entered  chan struct{}
	release  chan struct{}
	failures chan error
}

func (a *answering) Connected()         {}
func (a *answering) Disconnected(error) {}
func (a *answering) Stanza(raw []byte) {
	if strings.Contains(string(raw), "id='hold'") {
		a.entered <- struct{}{}
		<-a.release
	}
	send := a.c.Send
	if a.wait {
		send = a.c.SendWait
	}
	for i := range max(a.answers, 1) {
		if err := send(fmt.Appendf(nil, "<ack n='%d'>%s%s</ack>", i, raw, a.pad)); err != nil {
			a.failures <- err
		}
	}
}

// startAnswering runs a Client with handler a against a fake server and returns the server's
// side of the connection.
func startAnswering(t *testing.T, a *answering, tweak func(*Config)) *componenttest.Conn {
	t.Helper()
	srv := startServer(t, "127.0.0.1:0", testSecret)
	cfg := testConfig(srv.Addr())
	cfg.Logger = slog.New(slog.DiscardHandler)
	if tweak != nil {
		tweak(&cfg)
	}
	a.c = New(cfg, a)
	a.failures = make(chan error, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	actx, acancel := context.WithTimeout(context.Background(), eventually)
	defer acancel()
	conn, err := srv.Accept(actx)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// The answers queued while a group is handled leave when the group ends (the writer goroutine
// is not woken for them), and so does a stanza another goroutine queues meanwhile; once the
// group has ended, a stanza queued from elsewhere leaves on its own.
func TestGroupEndWritesWhatWasQueued(t *testing.T) {
	a := &answering{entered: make(chan struct{}), release: make(chan struct{})}
	conn := startAnswering(t, a, nil)
	if err := conn.Send("<message id='hold'/>"); err != nil {
		t.Fatal(err)
	}
	receive(t, a.entered, "the handler holding its group")
	if err := a.c.Send([]byte("<other/>")); err != nil { // from outside the group, during it
		t.Fatal(err)
	}
	close(a.release)
	if got := recv(t, conn); got != "<other/>" {
		t.Fatalf("first stanza written: %q, want <other/>", got)
	}
	if got := recv(t, conn); got != "<ack n='0'><message id='hold'/></ack>" {
		t.Fatalf("second stanza written: %q, want the group's answer", got)
	}
	if err := a.c.Send([]byte("<later/>")); err != nil { // no group under way: the writer's
		t.Fatal(err)
	}
	if got := recv(t, conn); got != "<later/>" {
		t.Fatalf("stanza queued after the group: got %q", got)
	}
}

// A handler that answers a group with more than the queue holds, through SendWait, is not left
// waiting for room: the writer goroutine, not woken for a group's answers, is woken for that.
func TestSendWaitDuringAGroup(t *testing.T) {
	const n = 200
	a := &answering{wait: true, answers: n, pad: strings.Repeat("p", 1000)}
	conn := startAnswering(t, a, func(c *Config) { c.MaxQueued = 4 << 10 })
	if err := conn.Send("<message id='many'/>"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if got := recv(t, conn); !strings.HasPrefix(got, fmt.Sprintf("<ack n='%d'>", i)) {
			t.Fatalf("answer %d: got %.30q", i, got)
		}
	}
	select {
	case err := <-a.failures:
		t.Fatal(err)
	default:
	}
}

// Small groups, handled on the reading goroutine while the handling goroutine is idle, and
// bursts, handed to it, reach the Handler in the order they were sent, one call at a time.
func TestDispatchSmallGroupsAndBursts(t *testing.T) {
	rec := &idleRecorder{t: t, gone: make(chan error, 1)}
	conn := runClient(t, rec)
	var want []string
	n := 0
	next := func() string {
		s := fmt.Sprintf("<message id='%d'/>", n)
		n++
		want = append(want, s)
		return s
	}
	for round := range 20 {
		var burst strings.Builder
		for range 3 * inlineStanzas {
			burst.WriteString(next())
		}
		if err := conn.Send(burst.String()); err != nil {
			t.Fatal(err)
		}
		for i := range 5 { // right behind the burst, while it may still be handled
			if err := conn.Send(next()); err != nil {
				t.Fatal(err)
			}
			if (round+i)%3 == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	receive(t, rec.gone, "Disconnected call")
	var got []string
	for _, e := range rec.snapshot() {
		if strings.HasPrefix(e, "<") {
			got = append(got, e)
		}
	}
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("handled %d stanzas, want %d, in the order sent", len(got), len(want))
	}
}
