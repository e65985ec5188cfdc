package component

import (
	"net"
	"sync"
	"time"
)

// directWriter lets Flush write the queue from the caller's goroutine. The writer goroutine
// takes the same lock around each of its writes, so the two never interleave, and a stanza is
// dropped from the queue only after a Write containing it succeeded, whoever wrote it.
type directWriter struct {
	mu      sync.Mutex
	conn    net.Conn // nil while no connection is up or after our stream's end
	dl      *deadlines
	timeout time.Duration
	buf     []byte
}

func (w *directWriter) attach(conn net.Conn, dl *deadlines, timeout time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conn, w.dl, w.timeout = conn, dl, timeout
}

func (w *directWriter) detach() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conn, w.dl = nil, nil
}

// beginGroup and endGroup bracket the handling of each group of stanzas read together
// (groupHooks). The answers the Handler queues meanwhile do not wake the writer goroutine:
// endGroup writes them on the handling goroutine, one Write for the group, and wakes the writer
// only for what that Write did not take (more than one batch, or the writer was writing). A
// stanza queued from another goroutine during a group waits for the group's end, no longer.
func (c *Client) beginGroup() { c.out.quiet.Store(true) }

func (c *Client) endGroup() {
	// Clear quiet first: what is queued from now on wakes the writer itself, and what was
	// queued before is in the queue that Flush and the length check below see.
	c.out.quiet.Store(false)
	c.Flush()
	if c.out.len() > 0 {
		c.out.wakeWriter()
	}
}

// Flush writes what Send has queued now, on the calling goroutine, instead of waking the
// writer goroutine for it: one thread hand-over less between a stanza's sending and the
// network. The Client calls it at the end of every group (endGroup); it is exported for a
// caller that queues from elsewhere and wants the same. It does
// nothing while the writer goroutine is writing (that write takes the queue) or while no
// connection is up. A failed Write closes the connection, as the writer would; the stanzas
// stay queued for the next one.
func (c *Client) Flush() {
	w := &c.direct
	if !w.mu.TryLock() {
		return
	}
	defer w.mu.Unlock()
	if w.conn == nil {
		return
	}
	var n int
	if w.buf, n = c.out.peek(w.buf[:0]); n == 0 {
		return
	}
	w.dl.setWrite(time.Now().Add(w.timeout))
	if _, err := w.conn.Write(w.buf); err != nil {
		w.conn.Close()
		return
	}
	c.out.drop(n)
	if cap(w.buf) > 4*maxBatch {
		w.buf = nil
	}
}
