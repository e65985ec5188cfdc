package daemon

import "github.com/prometheus/client_golang/prometheus"

// messageCounters resolves ampd_messages_total{verdict, action} once per label pair instead
// of once per message (WithLabelValues hashes and locks).
type messageCounters struct {
	vec *prometheus.CounterVec
	m   map[[2]string]prometheus.Counter
}

func (c *messageCounters) inc(verdict, action string) {
	k := [2]string{verdict, action}
	ctr, ok := c.m[k]
	if !ok {
		ctr = c.vec.WithLabelValues(verdict, action)
		c.m[k] = ctr
	}
	ctr.Inc()
}
