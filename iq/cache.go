package iq

import "time"

// Cache keeps answers of ampd's look-ups (rosters, disco#info) for a while, bounded in size:
// the oldest entry goes first. Not safe for concurrent use.
type Cache[V any] struct {
	entries map[string]expiring[V]
	order   []string // insertion order, for the size bound
}

type expiring[V any] struct {
	v       V
	expires time.Time
}

// NewCache returns an empty cache.
func NewCache[V any]() *Cache[V] {
	return &Cache[V]{entries: make(map[string]expiring[V])}
}

// Get returns the answer kept for key, unless there is none or it expired at now.
func (c *Cache[V]) Get(key string, now time.Time) (V, bool) {
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put keeps v for key until expires, forgetting the oldest keys beyond max.
func (c *Cache[V]) Put(key string, v V, expires time.Time, max int) {
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
		for len(c.order) > max {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.entries[key] = expiring[V]{v: v, expires: expires}
}
