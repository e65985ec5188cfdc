package presence

import (
	"slices"
	"sync"

	"github.com/ampd-xmpp/ampd/resolver"
)

// Table is the set of available resources, by normalised bare JID. It is safe for concurrent
// use.
type Table struct {
	mu    sync.RWMutex
	users map[string][]resolver.Resource // each slice is immutable once stored
	count int
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{users: make(map[string][]resolver.Resource)}
}

// Apply records an update and reports whether the table changed.
func (t *Table) Apply(u Update) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.users[u.Bare]
	i := slices.IndexFunc(old, func(r resolver.Resource) bool { return r.Name == u.Resource })
	switch {
	case u.Available && i >= 0:
		if old[i].Priority == u.Priority {
			return false
		}
		next := slices.Clone(old)
		next[i].Priority = u.Priority
		t.users[u.Bare] = next
	case u.Available:
		next := make([]resolver.Resource, len(old), len(old)+1)
		copy(next, old)
		t.users[u.Bare] = append(next, resolver.Resource{Name: u.Resource, Priority: u.Priority})
		t.count++
	case i >= 0:
		if len(old) == 1 {
			delete(t.users, u.Bare)
		} else {
			t.users[u.Bare] = slices.Delete(slices.Clone(old), i, i+1)
		}
		t.count--
	default:
		return false // a duplicate unavailable
	}
	return true
}

// Resources returns the available resources of a normalised bare JID. The slice must not be
// modified; it stays valid (as a snapshot) after later updates.
func (t *Table) Resources(bare string) []resolver.Resource {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.users[bare]
}

// Len returns the number of available resources tracked.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.count
}

// Reset forgets everything, for a new connection: the server announces the current presences
// again after the component connects.
func (t *Table) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.users)
	t.count = 0
}
