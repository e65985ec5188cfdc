package metrics

import (
	"strings"
	"sync"
	"time"
)

// ReinjectTracker counts the re-injects of held messages and observes how long each waited for
// the server module's acknowledgement. Safe for concurrent use.
type ReinjectTracker struct {
	m       *Metrics
	now     func() time.Time
	mu      sync.Mutex
	unacked map[string]time.Time // re-inject key → when it was first sent
}

// ReinjectTracker returns the re-inject bookkeeping of m, reading the time from now.
func (m *Metrics) ReinjectTracker(now func() time.Time) *ReinjectTracker {
	return &ReinjectTracker{m: m, now: now, unacked: make(map[string]time.Time)}
}

// Sent counts a re-inject (a key ending in -release releases the message; others carry a
// reply) and remembers when it went out. A resend keeps the first time: the lag is what the
// held message waited in all.
func (r *ReinjectTracker) Sent(key string) {
	kind := "reply"
	if strings.HasSuffix(key, "-release") {
		kind = "release"
	}
	r.m.Reinjects.WithLabelValues(kind).Inc()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.unacked[key]; !ok {
		r.unacked[key] = r.now()
	}
}

// Acked counts an acknowledgement and observes its lag.
func (r *ReinjectTracker) Acked(key string) {
	r.m.ReinjectAcks.Inc()
	r.mu.Lock()
	sent, ok := r.unacked[key]
	delete(r.unacked, key)
	r.mu.Unlock()
	if ok {
		r.m.ReinjectAckLag.Observe(r.now().Sub(sent).Seconds())
	}
}
