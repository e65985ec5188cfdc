package component

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// While the server does not read, SendWait waits with the queue at its bound instead of
// failing; once the server reads again every stanza arrives, once and in order.
func TestSendWaitBackpressure(t *testing.T) {
	const (
		limit = 16 << 10
		n     = 20000 // far more than the queue, the fake server's backlog and the sockets hold
	)
	h := startHarness(t, testSecret, func(c *Config) { c.MaxQueued = limit })
	conn := h.accept(t)
	pad := strings.Repeat("p", 1000)
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := h.client.SendWait(fmt.Appendf(nil, "<message id='%d'>%s</message>", i, pad)); err != nil {
				sent <- fmt.Errorf("stanza %d: %w", i, err)
				return
			}
		}
		sent <- nil
	}()
	select {
	case err := <-sent:
		t.Fatalf("every SendWait returned while the server read nothing: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if b := h.client.out.size(); b > limit {
		t.Fatalf("queue holds %d bytes, over its bound %d", b, limit)
	}
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), eventually)
		got, err := conn.Recv(ctx)
		cancel()
		if err != nil {
			t.Fatalf("stanza %d: %v", i, err)
		}
		if want := fmt.Sprintf("<message id='%d'>", i); !strings.HasPrefix(string(got), want) {
			t.Fatalf("stanza %d: got %.30q", i, got)
		}
	}
	if err := receive(t, sent, "end of the sender"); err != nil {
		t.Fatal(err)
	}
}

// SendWait gives up when the connection's writer ends: a session that is closing must not
// wait for room that nothing will make (the stanza is Send's to keep or lose, as usual).
func TestSendWaitEndsWithTheConnection(t *testing.T) {
	h := startHarness(t, testSecret, func(c *Config) { c.MaxQueued = 4 << 10; c.WriteTimeout = 200 * time.Millisecond })
	h.accept(t) // never read from
	pad := strings.Repeat("p", 1000)
	sent := make(chan error, 1)
	go func() {
		for {
			if err := h.client.SendWait([]byte("<message>" + pad + "</message>")); err != nil {
				sent <- err
				return
			}
		}
	}()
	if err := receive(t, sent, "SendWait's failure"); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("SendWait: %v, want ErrQueueFull once the writer timed out", err)
	}
}

// Without a connection SendWait fails at once when the queue is full, like Send.
func TestSendWaitWithoutConnection(t *testing.T) {
	c := New(Config{Address: "127.0.0.1:1", Domain: testDomain, MaxQueued: 100}, newRecorder())
	if err := c.SendWait(make([]byte, 60)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendWait(make([]byte, 60)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("SendWait on a full queue without a connection: %v", err)
	}
}

// size returns the bytes queued.
func (q *queue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// A stanza larger than the whole queue waits for an empty queue and then goes alone.
func TestSendWaitLargerThanQueue(t *testing.T) {
	h := startHarness(t, testSecret, func(c *Config) { c.MaxQueued = 1 << 10 })
	conn := h.accept(t)
	big := "<message>" + strings.Repeat("b", 5000) + "</message>"
	for i := range 3 {
		if err := h.client.SendWait([]byte(big)); err != nil {
			t.Fatalf("stanza %d: %v", i, err)
		}
	}
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), eventually)
		got, err := conn.Recv(ctx)
		cancel()
		if err != nil || string(got) != big {
			t.Fatalf("stanza %d: %.20q, %v", i, got, err)
		}
	}
}
