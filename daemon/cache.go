package daemon

import "time"

// expiringCache keeps answers of ampd's look-ups (rosters, disco#info) for a while, bounded
// in size: the oldest entry goes first. Guarded by Daemon.mu.
type expiringCache[V any] struct {
	entries map[string]expiring[V]
	order   []string // insertion order, for the size bound
}

type expiring[V any] struct {
	v       V
	expires time.Time
}

func newExpiringCache[V any]() *expiringCache[V] {
	return &expiringCache[V]{entries: make(map[string]expiring[V])}
}

func (c *expiringCache[V]) get(key string, now time.Time) (V, bool) {
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *expiringCache[V]) put(key string, v V, expires time.Time, max int) {
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
		for len(c.order) > max {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.entries[key] = expiring[V]{v: v, expires: expires}
}
