package daemon

import "github.com/ampd-xmpp/ampd/route"

// verdictRecord is what ampd answered for one route: enough to send the same answer again.
type verdictRecord struct {
	action route.Action
	strip  bool   // deliver without the <amp/> (a remote next hop without AMP support)
	reply  []byte // the reply to the sender carried in the verdict; nil for none
}

// decidedRoutes remembers the verdicts sent for the most recent route ids, so that a request
// the server module diverts again (after a reconnect, when it never saw our verdict) gets the
// same verdict again instead of a second decision, which could differ and, for held messages,
// store the message twice. Bounded: the oldest entries are forgotten first.
type decidedRoutes struct {
	verdicts map[string]verdictRecord
	order    []string // ring of ids in insertion order
	next     int
}

func newDecidedRoutes(capacity int) *decidedRoutes {
	return &decidedRoutes{verdicts: make(map[string]verdictRecord, capacity), order: make([]string, capacity)}
}

// key scopes a route id by the host that diverted it: ids are unique per server process only.
func routeKey(host, id string) string { return host + "\x00" + id }

func (r *decidedRoutes) get(key string) (verdictRecord, bool) {
	v, ok := r.verdicts[key]
	return v, ok
}

func (r *decidedRoutes) put(key string, v verdictRecord) {
	if old := r.order[r.next]; old != "" {
		delete(r.verdicts, old)
	}
	r.order[r.next] = key
	r.verdicts[key] = v
	r.next = (r.next + 1) % len(r.order)
}
