package daemon

// decidedRoutes remembers the verdicts sent for the most recent route ids, so that a request
// the server module diverts again (after a reconnect, when it never saw our verdict) gets the
// same verdict again instead of a second decision, which could differ and, for held messages,
// store the message twice. Bounded: the oldest entries are forgotten first.
type decidedRoutes struct {
	verdicts map[string][]byte
	order    []string // ring of ids in insertion order
	next     int
}

func newDecidedRoutes(capacity int) *decidedRoutes {
	return &decidedRoutes{verdicts: make(map[string][]byte, capacity), order: make([]string, capacity)}
}

// key scopes a route id by the host that diverted it: ids are unique per server process only.
func routeKey(host, id string) string { return host + "\x00" + id }

func (r *decidedRoutes) get(key string) ([]byte, bool) {
	v, ok := r.verdicts[key]
	return v, ok
}

func (r *decidedRoutes) put(key string, verdict []byte) {
	if old := r.order[r.next]; old != "" {
		delete(r.verdicts, old)
	}
	r.order[r.next] = key
	r.verdicts[key] = verdict
	r.next = (r.next + 1) % len(r.order)
}
