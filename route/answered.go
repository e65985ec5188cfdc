package route

import (
	"encoding/binary"
	"hash/maphash"
)

// Answer is what ampd answered for one route: enough to send the same answer again.
type Answer struct {
	Verdict Verdict
	Strip   bool   // deliver without the <amp/> (a remote next hop without AMP support)
	Reply   []byte // the reply to the sender carried in the verdict; nil for none
}

// Answered remembers the verdicts sent for the most recent route ids, so that a request
// the server module diverts again (after a reconnect, when it never saw our verdict) gets the
// same verdict again instead of a second decision, which could differ and, for held messages,
// store the message twice. Bounded: the oldest entries are forgotten first.
//
// It is on the path of every divert, so it allocates nothing: a ring of entries, found
// through a map from a 64-bit hash of (host, id) to the entry's slot. The entry keeps host
// and id to confirm a hit; two routes whose hashes collide only shorten the memory of the
// older one, they never return a wrong verdict.
type Answered struct {
	slots map[uint64]uint32 // hash of (host, id) → index in ring
	ring  []answeredEntry
	next  int
	h     maphash.Hash
}

type answeredEntry struct {
	hash     uint64
	host, id string // "" id: a free slot
	v        Answer
}

// NewAnswered remembers the latest capacity answers.
func NewAnswered(capacity int) *Answered {
	r := &Answered{slots: make(map[uint64]uint32, capacity), ring: make([]answeredEntry, capacity)}
	r.h.SetSeed(maphash.MakeSeed())
	return r
}

func (r *Answered) hash(host, id string) uint64 {
	r.h.Reset()
	var n [4]byte // the host's length first: (host, id) pairs never serialise alike
	binary.LittleEndian.PutUint32(n[:], uint32(len(host)))
	r.h.Write(n[:])
	r.h.WriteString(host)
	r.h.WriteString(id)
	return r.h.Sum64()
}

func (r *Answered) Get(host, id string) (Answer, bool) {
	i, ok := r.slots[r.hash(host, id)]
	if !ok {
		return Answer{}, false
	}
	e := &r.ring[i]
	if e.host != host || e.id != id {
		return Answer{}, false
	}
	return e.v, true
}

// Put remembers v for (host, id), which must not be remembered already (Get first).
func (r *Answered) Put(host, id string, v Answer) {
	e := &r.ring[r.next]
	if e.id != "" && r.slots[e.hash] == uint32(r.next) {
		delete(r.slots, e.hash)
	}
	h := r.hash(host, id)
	*e = answeredEntry{hash: h, host: host, id: id, v: v}
	r.slots[h] = uint32(r.next)
	r.next = (r.next + 1) % len(r.ring)
}
