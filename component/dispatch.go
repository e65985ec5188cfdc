package component

import "io"

// Idler is implemented by a Handler that gathers its output (ampd batches verdicts). Idle is
// called after each group of stanzas that arrived together has been passed to Stanza, before
// the handler waits for the next group: a handler that sends what it gathered from Idle delays
// nothing beyond the arrival of more input.
type Idler interface {
	Idle()
}

const (
	// batchBytes: a group of stanzas is handed over once it holds this much, even when more
	// has been read already, so that the handler starts early on a long burst.
	batchBytes = 64 << 10
	// batchesInFlight bounds the groups between the reading and the handling goroutine. When
	// the handler falls behind, the reader waits, and TCP pushes back on the server.
	batchesInFlight = 4
	// readSize is the splitter's starting buffer: one Read takes up to this much of a burst.
	readSize = 64 << 10
)

// stanzaBatch is a group of stanzas copied out of the splitter's buffer (which the next read
// reuses), each ending at the offset in ends.
type stanzaBatch struct {
	buf  []byte
	ends []int
}

// dispatcher hands the stanzas of one connection to the Handler on a goroutine of its own, so
// that splitting the next bytes and handling the previous ones use two cores. Stanzas reach the
// Handler in the order they were read, one at a time.
type dispatcher struct {
	h    Handler
	idle Idler // nil when h does not gather output
	free chan *stanzaBatch
	full chan *stanzaBatch
	cur  *stanzaBatch // being filled by the reader
	done chan struct{}
}

func startDispatcher(h Handler) *dispatcher {
	d := &dispatcher{
		h:    h,
		free: make(chan *stanzaBatch, batchesInFlight),
		full: make(chan *stanzaBatch, batchesInFlight),
		done: make(chan struct{}),
	}
	d.idle, _ = h.(Idler)
	for range batchesInFlight - 1 {
		d.free <- &stanzaBatch{}
	}
	d.cur = &stanzaBatch{}
	go d.run()
	return d
}

// add copies one stanza into the group being gathered. Reader goroutine only.
func (d *dispatcher) add(stanza []byte) {
	d.cur.buf = append(d.cur.buf, stanza...)
	d.cur.ends = append(d.cur.ends, len(d.cur.buf))
	if len(d.cur.buf) >= batchBytes {
		d.handOver()
	}
}

// handOver passes the gathered stanzas to the handling goroutine, waiting for a free group
// when all are in use. Reader goroutine only; called before every read.
func (d *dispatcher) handOver() {
	if len(d.cur.ends) == 0 {
		return
	}
	d.full <- d.cur
	d.cur = <-d.free
}

// stop hands over what is gathered and returns once the Handler has seen all of it.
func (d *dispatcher) stop() {
	d.handOver()
	close(d.full)
	<-d.done
}

func (d *dispatcher) run() {
	defer close(d.done)
	for b := range d.full {
		start := 0
		for _, end := range b.ends {
			d.h.Stanza(b.buf[start:end])
			start = end
		}
		if d.idle != nil {
			d.idle.Idle()
		}
		if cap(b.buf) > 4*batchBytes {
			b.buf = nil // one huge stanza: do not keep its buffer for the connection's life
		}
		b.buf, b.ends = b.buf[:0], b.ends[:0]
		d.free <- b
	}
}

// hookedReader calls before ahead of every Read: the splitter reads only when it has no
// complete stanza left, which is when the stanzas gathered so far must be handed over.
type hookedReader struct {
	r      io.Reader
	before func()
}

func (h *hookedReader) Read(p []byte) (int, error) {
	if h.before != nil {
		h.before()
	}
	return h.r.Read(p)
}
