package component

import (
	"io"
	"sync/atomic"
)

// Idler is implemented by a Handler that gathers its output (ampd batches verdicts). Idle is
// called after each group of stanzas that arrived together has been passed to Stanza, before
// the handler waits for the next group: a handler that sends what it gathered from Idle delays
// nothing beyond the arrival of more input.
type Idler interface {
	Idle()
}

// Preparer is implemented by a Handler that does the part of a stanza's work that needs no
// shared state (parsing, say) on the reading goroutine, in parallel with the handling of the
// stanzas read before it. For each stanza, in order, Prepare is called on the reading
// goroutine and later StanzaPrepared, instead of Stanza, on the handling goroutine with the
// same bytes and Prepare's result. raw stays valid and unchanged until StanzaPrepared returns.
type Preparer interface {
	Prepare(raw []byte) any
	StanzaPrepared(raw []byte, prepared any)
}

// OversizeHandler is implemented by a Handler that answers stanzas too large to read whole
// instead of losing them (ampd answers an oversized divert at once, so the module does not
// wait for a verdict that cannot come). Oversized is called in stream order, on the handling
// goroutine like Stanza, with the stanza's first bytes (xmlstream.PrefixBytes at most): a
// prefix, not well-formed XML. prefix is valid only during the call.
type OversizeHandler interface {
	Oversized(prefix []byte)
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
	// inlineStanzas: a group of at most this many stanzas, read while the handling goroutine
	// has nothing to do, is handled on the reading goroutine itself. At ordinary rates a read
	// brings one stanza or a few, and waking a second goroutine for them costs more CPU (and
	// latency, when the cores are busy) than handling them; a burst still goes to the
	// handling goroutine, so that reading and handling overlap.
	inlineStanzas = 16
)

// stanzaBatch is a group of stanzas copied out of the splitter's buffer (which the next read
// reuses), each ending at the offset in ends.
type stanzaBatch struct {
	buf      []byte
	ends     []int
	prepared []any // Prepare's result per stanza, when the Handler is a Preparer
	cut      []int // indexes of the entries that are oversized stanzas' prefixes, ascending
}

// dispatcher hands the stanzas of one connection to the Handler on a goroutine of its own, so
// that splitting the next bytes and handling the previous ones use two cores, or, for a small
// group while that goroutine is idle, to the Handler directly (inlineStanzas). Stanzas reach
// the Handler in the order they were read, one at a time.
type dispatcher struct {
	h    Handler
	idle Idler           // nil when h does not gather output
	prep Preparer        // nil when h does all its work in Stanza
	over OversizeHandler // nil when h has no use for oversized stanzas
	// group brackets the handling of each group: begin before its first stanza, end after Idle
	// (the Client writes the group's answers there).
	group groupHooks
	free  chan *stanzaBatch
	full  chan *stanzaBatch
	// queued counts the groups handed to the handling goroutine and not yet handled: while it is
	// 0 the reader may handle a group itself without overtaking one or running beside it.
	queued atomic.Int32
	cur    *stanzaBatch // being filled by the reader
	done   chan struct{}
}

// groupHooks are called around the handling of each group, on the goroutine handling it.
type groupHooks interface {
	beginGroup()
	endGroup()
}

func startDispatcher(h Handler, group groupHooks) *dispatcher {
	d := &dispatcher{
		h:     h,
		group: group,
		free:  make(chan *stanzaBatch, batchesInFlight),
		full:  make(chan *stanzaBatch, batchesInFlight),
		done:  make(chan struct{}),
	}
	d.idle, _ = h.(Idler)
	d.prep, _ = h.(Preparer)
	d.over, _ = h.(OversizeHandler)
	for range batchesInFlight - 1 {
		d.free <- newStanzaBatch()
	}
	d.cur = newStanzaBatch()
	go d.run()
	return d
}

func newStanzaBatch() *stanzaBatch { return &stanzaBatch{buf: make([]byte, 0, batchBytes)} }

// add copies one stanza into the group being gathered and prepares it. Reader goroutine only.
func (d *dispatcher) add(stanza []byte) { d.append(stanza, false) }

// addOversized queues the prefix of a stanza that was too large, for an OversizeHandler, in
// its place in the stream. Reader goroutine only; a no-op for other Handlers.
func (d *dispatcher) addOversized(prefix []byte) {
	if d.over != nil {
		d.append(prefix, true)
	}
}

func (d *dispatcher) append(stanza []byte, oversized bool) {
	if cap(d.cur.buf)-len(d.cur.buf) < len(stanza) {
		// Never grow a buffer holding prepared stanzas: what Prepare kept must stay in place.
		d.handOver()
		if cap(d.cur.buf) < len(stanza) {
			d.cur.buf = make([]byte, 0, len(stanza))
		}
	}
	start := len(d.cur.buf)
	d.cur.buf = append(d.cur.buf, stanza...)
	end := len(d.cur.buf)
	if oversized {
		d.cur.cut = append(d.cur.cut, len(d.cur.ends))
	}
	d.cur.ends = append(d.cur.ends, end)
	if d.prep != nil {
		var prepared any
		if !oversized {
			prepared = d.prep.Prepare(d.cur.buf[start:end:end])
		}
		d.cur.prepared = append(d.cur.prepared, prepared)
	}
	if end >= batchBytes {
		d.handOver()
	}
}

// handOver passes the gathered stanzas to the handling goroutine, waiting for a free group
// when all are in use, or handles a small group itself while that goroutine is idle. Reader
// goroutine only; called before every read.
func (d *dispatcher) handOver() {
	if len(d.cur.ends) == 0 {
		return
	}
	// queued is 0 only after the handling goroutine has finished its last group (Idle and all):
	// the Handler is then not in use, and nothing handed over waits to go before this group.
	if len(d.cur.ends) <= inlineStanzas && d.queued.Load() == 0 {
		d.handle(d.cur)
		return
	}
	d.queued.Add(1)
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
		d.handle(b)
		d.queued.Add(-1)
		d.free <- b
	}
}

// handle passes one group to the Handler and empties it for reuse.
func (d *dispatcher) handle(b *stanzaBatch) {
	d.group.beginGroup()
	start, cut := 0, b.cut
	for i, end := range b.ends {
		if len(cut) > 0 && cut[0] == i {
			cut = cut[1:]
			d.over.Oversized(b.buf[start:end:end])
		} else if d.prep != nil {
			d.prep.StanzaPrepared(b.buf[start:end:end], b.prepared[i])
			b.prepared[i] = nil
		} else {
			d.h.Stanza(b.buf[start:end:end])
		}
		start = end
	}
	if d.idle != nil {
		d.idle.Idle()
	}
	d.group.endGroup()
	if cap(b.buf) > batchBytes {
		b.buf = make([]byte, 0, batchBytes) // one huge stanza: do not keep its buffer
	}
	b.buf, b.ends, b.prepared, b.cut = b.buf[:0], b.ends[:0], b.prepared[:0], b.cut[:0]
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
