package component

import (
	"sync"
	"sync/atomic"
)

// maxBatch bounds the bytes gathered for one Write (a single larger stanza
// is still written whole).
const maxBatch = 64 << 10

// queue holds the stanzas accepted by Send until a Write containing them has
// succeeded. Only the writer of the current connection takes from it.
type queue struct {
	mu    sync.Mutex
	items [][]byte
	bytes int
	limit int
	wake  chan struct{} // signalled (non-blocking) when items are added, unless quiet
	room  chan struct{} // signalled (non-blocking) when items are written and dropped
	// quiet is set while a group of stanzas is being handled: what is added then is written
	// when the group ends (Client.endGroup), so waking the writer goroutine for it would only
	// cost a thread hand-over.
	quiet atomic.Bool
}

func newQueue(limit int) *queue {
	return &queue{limit: limit, wake: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// push copies stanza into the queue unless that would exceed the limit.
func (q *queue) push(stanza []byte) error { return q.pushOr(stanza, false) }

// pushOr is push that, when alone is set, also takes a stanza larger than the whole limit
// into an empty queue: the queue then holds at most that one stanza.
func (q *queue) pushOr(stanza []byte, alone bool) error {
	q.mu.Lock()
	if q.bytes+len(stanza) > q.limit && !(alone && q.bytes == 0) {
		q.mu.Unlock()
		return ErrQueueFull
	}
	q.items = append(q.items, append([]byte(nil), stanza...))
	q.bytes += len(stanza)
	q.mu.Unlock()
	if !q.quiet.Load() {
		q.wakeWriter()
	}
	return nil
}

// wakeWriter tells the writer goroutine that there is something to write.
func (q *queue) wakeWriter() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// peek appends the oldest stanzas, up to maxBatch bytes but at least one, to
// dst without removing them, and returns how many it took.
func (q *queue) peek(dst []byte) ([]byte, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, it := range q.items {
		if n > 0 && len(dst)+len(it) > maxBatch {
			break
		}
		dst = append(dst, it...)
		n++
	}
	return dst, n
}

// drop removes the n oldest stanzas, once they have been written.
func (q *queue) drop(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range n {
		q.bytes -= len(q.items[i])
		q.items[i] = nil
	}
	q.items = q.items[n:]
	if len(q.items) == 0 {
		q.items = q.items[:0:0] // let the backing array go after a burst
	}
	select {
	case q.room <- struct{}{}:
	default:
	}
}

// len returns the number of queued stanzas.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
