package main

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Verdict actions as small codes, so that the tracker can compare them without allocating.
const (
	actionNone byte = iota
	actionDeliver
	actionDiscard
	actionHold
)

var actionNames = [...]string{"none", "deliver", "discard", "hold"}

func actionCode(a []byte) byte {
	switch string(a) {
	case "deliver":
		return actionDeliver
	case "discard":
		return actionDiscard
	case "hold":
		return actionHold
	}
	return actionNone
}

// tracker matches verdicts to the diverts they answer, by route id. Route ids are "c<n>" for
// the calibration of template n (its verdict becomes the one expected for it under load) and
// "b<seq>" for the load; seq indexes a ring of send times.
type tracker struct {
	start    time.Time
	mask     uint64
	sentAt   []atomic.Int64  // nanoseconds since start + 1; 0 = free slot
	tmplAt   []atomic.Uint32 // template of the divert in the slot
	expected []atomic.Uint32 // template → expected action code (from the calibration)
	replies  []atomic.Uint32 // template → 1 when the calibration verdict carried a reply
	c        *counters
	lat      *latencies
	mu       sync.Mutex      // guards buf: the reader fills it, the runner flushes it at the end
	buf      []time.Duration // latencies not yet handed to lat
	actions  [4]atomic.Int64
	lastDone atomic.Int64 // nanoseconds since start of the latest verdict
	calDone  atomic.Int64
	mismatch atomic.Int64
	unknown  atomic.Int64
}

func newTracker(ring, templates int, c *counters, lat *latencies) *tracker {
	size := 1
	for size < ring {
		size <<= 1
	}
	return &tracker{
		start:    time.Now(),
		mask:     uint64(size - 1),
		sentAt:   make([]atomic.Int64, size),
		tmplAt:   make([]atomic.Uint32, size),
		expected: make([]atomic.Uint32, templates),
		replies:  make([]atomic.Uint32, templates),
		c:        c,
		lat:      lat,
	}
}

func (t *tracker) now() int64 { return int64(time.Since(t.start)) + 1 }

// sent records divert seq of template tmpl, just before it is written.
func (t *tracker) sent(seq uint64, tmpl int, at int64) {
	slot := seq & t.mask
	t.tmplAt[slot].Store(uint32(tmpl))
	t.sentAt[slot].Store(at)
}

var (
	verdictTag  = []byte("<verdict")
	routeAttr   = []byte("route='")
	actionAttr  = []byte("action='")
	verdictStop = []byte("</verdict>")
)

// onStanza reads every verdict of one stanza from ampd (called by the fake server's reader).
func (t *tracker) onStanza(raw []byte) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		i := bytes.Index(raw, verdictTag)
		if i < 0 {
			break
		}
		raw = raw[i+len(verdictTag):]
		id := attr(raw, routeAttr)
		action := actionCode(attr(raw, actionAttr))
		hasReply := false
		if end := bytes.IndexByte(raw, '>'); end > 0 && raw[end-1] != '/' {
			hasReply = true
			if j := bytes.Index(raw, verdictStop); j >= 0 {
				raw = raw[j:]
			}
		}
		t.verdict(id, action, hasReply, now)
	}
	if len(t.buf) >= 1024 {
		t.lat.addAll(t.buf)
		t.buf = t.buf[:0]
	}
}

func (t *tracker) verdict(id []byte, action byte, hasReply bool, now int64) {
	if len(id) < 2 {
		t.unknown.Add(1)
		t.c.errors.Add(1)
		return
	}
	n, err := strconv.ParseUint(string(id[1:]), 10, 64)
	if err != nil {
		t.unknown.Add(1)
		t.c.errors.Add(1)
		return
	}
	switch id[0] {
	case 'c':
		if n < uint64(len(t.expected)) {
			t.expected[n].Store(uint32(action))
			if hasReply {
				t.replies[n].Store(1)
			}
			t.calDone.Add(1)
		}
		return
	case 'b':
	default:
		t.unknown.Add(1)
		t.c.errors.Add(1)
		return
	}
	slot := n & t.mask
	sent := t.sentAt[slot].Swap(0)
	if sent == 0 {
		t.unknown.Add(1) // a verdict twice, or for a divert never sent
		t.c.errors.Add(1)
		return
	}
	if byte(t.expected[t.tmplAt[slot].Load()].Load()) != action {
		t.mismatch.Add(1)
		t.c.errors.Add(1)
	}
	t.actions[action].Add(1)
	t.buf = append(t.buf, time.Duration(now-sent))
	t.lastDone.Store(now)
	t.c.done.Add(1)
}

// flush hands the buffered latencies over.
func (t *tracker) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lat.addAll(t.buf)
	t.buf = t.buf[:0]
}

// attr returns the value of the attribute that starts with prefix (name=') in raw, up to the
// closing quote.
func attr(raw, prefix []byte) []byte {
	i := bytes.Index(raw, prefix)
	if i < 0 {
		return nil
	}
	v := raw[i+len(prefix):]
	j := bytes.IndexByte(v, '\'')
	if j < 0 {
		return nil
	}
	return v[:j]
}
