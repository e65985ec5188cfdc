package component

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// failingConn is a net.Conn whose writes fail and which records Close.
type failingConn struct {
	net.Conn
	closed bool
}

func (f *failingConn) Write([]byte) (int, error)        { return 0, errors.New("broken pipe") }
func (f *failingConn) Close() error                     { f.closed = true; return nil }
func (f *failingConn) SetDeadline(time.Time) error      { return nil }
func (f *failingConn) SetWriteDeadline(time.Time) error { return nil }

// Flush writes the whole queue on the caller's goroutine and drops only what was written; it
// does nothing without a connection; a failed write closes the connection and keeps the queue.
func TestFlush(t *testing.T) {
	c := New(Config{Address: "x", Domain: testDomain}, newRecorder())
	for _, s := range []string{"<a/>", "<b/>"} {
		if err := c.Send([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}

	c.Flush() // not connected
	if c.Queued() != 2 {
		t.Fatalf("Flush without a connection changed the queue: %d left", c.Queued())
	}

	local, remote := net.Pipe()
	defer local.Close()
	defer remote.Close()
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := io.ReadAtLeast(remote, b, len("<a/><b/>"))
		got <- string(b[:n])
	}()
	c.direct.attach(local, &deadlines{conn: local}, time.Second)
	c.Flush()
	if s := <-got; s != "<a/><b/>" {
		t.Fatalf("Flush wrote %q", s)
	}
	if c.Queued() != 0 {
		t.Fatalf("%d stanzas still queued after a successful Flush", c.Queued())
	}

	bad := &failingConn{}
	c.direct.attach(bad, &deadlines{conn: bad}, time.Second)
	if err := c.Send([]byte("<c/>")); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	if !bad.closed || c.Queued() != 1 {
		t.Fatalf("after a failed write: closed=%v queued=%d, want true and 1", bad.closed, c.Queued())
	}

	c.direct.detach()
	c.Flush()
	if c.Queued() != 1 {
		t.Fatalf("Flush after detach changed the queue")
	}
}
