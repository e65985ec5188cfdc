package held

import (
	"container/heap"
	"time"
)

// deadline is one expire-at deadline of one held message.
type deadline struct {
	at   time.Time
	id   uint64
	rule int
}

// deadlineHeap orders deadlines earliest first (ties by message ID, so in receipt order).
// The manager arms a single timer for its top: 100k held messages cost one timer, not 100k.
type deadlineHeap []deadline

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].id < h[j].id
}
func (h deadlineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)   { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}

func (h *deadlineHeap) push(d deadline) { heap.Push(h, d) }
func (h *deadlineHeap) pop() deadline   { return heap.Pop(h).(deadline) }

// popDue removes and returns the deadlines at or before now, earliest first.
func (h *deadlineHeap) popDue(now time.Time, dst []deadline) []deadline {
	for h.Len() > 0 && !(*h)[0].at.After(now) {
		dst = append(dst, h.pop())
	}
	return dst
}
