package metrics

import "github.com/prometheus/client_golang/prometheus"

// MessageCounters resolves ampd_messages_total{verdict, action} once per label pair instead
// of once per message (WithLabelValues hashes and locks). Not safe for concurrent use.
type MessageCounters struct {
	vec *prometheus.CounterVec
	m   map[[2]string]prometheus.Counter
}

// MessageCounters returns counters of m.Messages for one goroutine (or one lock).
func (m *Metrics) MessageCounters() *MessageCounters {
	return &MessageCounters{vec: m.Messages, m: make(map[[2]string]prometheus.Counter)}
}

// Inc counts one request decided with verdict, carrying out action ("none" for none).
func (c *MessageCounters) Inc(verdict, action string) {
	k := [2]string{verdict, action}
	ctr, ok := c.m[k]
	if !ok {
		ctr = c.vec.WithLabelValues(verdict, action)
		c.m[k] = ctr
	}
	ctr.Inc()
}
