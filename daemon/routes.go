package daemon

import (
	"encoding/binary"
	"hash/maphash"

	"github.com/ampd-xmpp/ampd/route"
)

// verdictRecord is what ampd answered for one route: enough to send the same answer again.
type verdictRecord struct {
	verdict route.Verdict
	strip   bool   // deliver without the <amp/> (a remote next hop without AMP support)
	reply   []byte // the reply to the sender carried in the verdict; nil for none
}

// decidedRoutes remembers the verdicts sent for the most recent route ids, so that a request
// the server module diverts again (after a reconnect, when it never saw our verdict) gets the
// same verdict again instead of a second decision, which could differ and, for held messages,
// store the message twice. Bounded: the oldest entries are forgotten first.
//
// It is on the path of every divert, so it allocates nothing: a ring of entries, found
// through a map from a 64-bit hash of (host, id) to the entry's slot. The entry keeps host
// and id to confirm a hit; two routes whose hashes collide only shorten the memory of the
// older one, they never return a wrong verdict.
type decidedRoutes struct {
	slots map[uint64]uint32 // hash of (host, id) → index in ring
	ring  []decidedEntry
	next  int
	h     maphash.Hash
}

type decidedEntry struct {
	hash     uint64
	host, id string // "" id: a free slot
	v        verdictRecord
}

func newDecidedRoutes(capacity int) *decidedRoutes {
	r := &decidedRoutes{slots: make(map[uint64]uint32, capacity), ring: make([]decidedEntry, capacity)}
	r.h.SetSeed(maphash.MakeSeed())
	return r
}

// key scopes a route id by the host that diverted it: ids are unique per server process only.
func routeKey(host, id string) string { return host + "\x00" + id }

func (r *decidedRoutes) hash(host, id string) uint64 {
	r.h.Reset()
	var n [4]byte // the host's length first: (host, id) pairs never serialise alike
	binary.LittleEndian.PutUint32(n[:], uint32(len(host)))
	r.h.Write(n[:])
	r.h.WriteString(host)
	r.h.WriteString(id)
	return r.h.Sum64()
}

func (r *decidedRoutes) get(host, id string) (verdictRecord, bool) {
	i, ok := r.slots[r.hash(host, id)]
	if !ok {
		return verdictRecord{}, false
	}
	e := &r.ring[i]
	if e.host != host || e.id != id {
		return verdictRecord{}, false
	}
	return e.v, true
}

// put remembers v for (host, id), which must not be remembered already (get first).
func (r *decidedRoutes) put(host, id string, v verdictRecord) {
	e := &r.ring[r.next]
	if e.id != "" && r.slots[e.hash] == uint32(r.next) {
		delete(r.slots, e.hash)
	}
	h := r.hash(host, id)
	*e = decidedEntry{hash: h, host: host, id: id, v: v}
	r.slots[h] = uint32(r.next)
	r.next = (r.next + 1) % len(r.ring)
}
