package component

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// brokenConn is a connection whose Write writes part of its input and fails,
// like a connection reset in the middle of a batch.
type brokenConn struct {
	net.Conn // nil: only the methods below are used
	written  []byte
}

func (b *brokenConn) Write(p []byte) (int, error) {
	n := len(p) / 2
	b.written = append(b.written, p[:n]...)
	return n, errors.New("connection reset")
}
func (b *brokenConn) Close() error                      { return nil }
func (b *brokenConn) SetDeadline(time.Time) error       { return nil }
func (b *brokenConn) SetWriteDeadline(time.Time) error  { return nil }
func (b *brokenConn) RemoteAddr() net.Addr              { return &net.TCPAddr{} }
func (b *brokenConn) SetReadDeadline(t time.Time) error { return nil }
func (b *brokenConn) LocalAddr() net.Addr               { return &net.TCPAddr{} }

// TestFailedWriteKeepsStanzas: a batch whose Write failed half way stays
// queued, whole and in order, for the next connection.
func TestFailedWriteKeepsStanzas(t *testing.T) {
	c := New(Config{Address: "x:1", Domain: "d"}, newRecorder())
	want := []string{"<message id='1'/>", "<message id='2'/>"}
	for _, s := range want {
		if err := c.Send([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	conn := &brokenConn{}
	ctx := context.Background()
	if err := c.writeLoop(ctx, ctx, conn, &deadlines{conn: conn}); err == nil {
		t.Fatal("writeLoop ignored the failed Write")
	}
	if len(conn.written) == 0 {
		t.Fatal("nothing was attempted")
	}
	got, n := c.out.peek(nil)
	if n != 2 || string(got) != want[0]+want[1] {
		t.Errorf("queue after the failure holds %d stanzas %q, want both", n, got)
	}
}

func TestJitterBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "d"))
		if j := jitter(d); j < d/2 || j > d {
			t.Fatalf("jitter(%v) = %v", d, j)
		}
	})
}

// TestQueueProperty: whatever is pushed comes out of peek/drop in order,
// batches never exceed maxBatch unless a single stanza does, and the byte
// count returns to zero.
func TestQueueProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := newQueue(1 << 30)
		items := rapid.SliceOf(rapid.SliceOfN(rapid.Byte(), 1, 3*maxBatch/2)).Draw(t, "items")
		var want []byte
		for _, it := range items {
			if err := q.push(it); err != nil {
				t.Fatal(err)
			}
			want = append(want, it...)
		}
		var got []byte
		for q.len() > 0 {
			batch, n := q.peek(nil)
			if n > 1 && len(batch) > maxBatch {
				t.Fatalf("batch of %d stanzas has %d bytes", n, len(batch))
			}
			got = append(got, batch...)
			q.drop(n)
		}
		if string(got) != string(want) || q.bytes != 0 {
			t.Fatalf("out of order or bytes left: %d", q.bytes)
		}
	})
}
