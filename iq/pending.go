package iq

import (
	"strconv"
	"time"
)

// Pending are the queries ampd has sent (a recipient's roster, a domain's disco#info) and
// whatever waits for their answers (W: the requests parked on them). A waiter blocks nothing
// else. One query serves every waiter on the same subject; the first of the answer and the
// time-out ends it, the other finds it gone.
//
// Not safe for concurrent use: the caller guards it with its own lock, and runs the
// time-outs under that lock through the locked function it passes to NewPending.
type Pending[W any] struct {
	send      func(stanza []byte)
	locked    func(f func())
	queries   uint64                // ids of the queries sent: "ampd-1", "ampd-2", …
	bySubject map[string]*lookup[W] // what is being looked up → the query under way
	byID      map[string]*lookup[W] // iq id → the query under way
	parked    map[string]struct{}   // keys of the waiters, for de-duplication
}

// Query is a look-up to send.
type Query[W any] struct {
	Subject string // the key under which concurrent look-ups are merged
	To      string
	// From is the address the answer must come from; "" accepts any (roster answers come
	// from the account or the host; servers answer disco#info from the queried domain).
	From    string
	Timeout time.Duration
	Build   func(id string) []byte // the iq to send, with the id given
	// Done receives the answer (a result or an error), or nil when none came in time, with
	// every waiter. Called under the caller's lock.
	Done func(answer *Stanza, waiting []W)
}

type lookup[W any] struct {
	id, subject, from string
	waiting           []W
	keys              []string
	timer             *time.Timer
	done              func(answer *Stanza, waiting []W)
}

// NewPending returns an empty set of look-ups that sends its queries with send and runs its
// time-outs inside locked (which takes the caller's lock around f).
func NewPending[W any](send func(stanza []byte), locked func(f func())) *Pending[W] {
	return &Pending[W]{
		send: send, locked: locked,
		bySubject: make(map[string]*lookup[W]),
		byID:      make(map[string]*lookup[W]),
		parked:    make(map[string]struct{}),
	}
}

// Parked reports whether anything waits.
func (p *Pending[W]) Parked() bool { return len(p.parked) > 0 }

// Waiting reports whether the waiter with this key waits.
func (p *Pending[W]) Waiting(key string) bool {
	_, ok := p.parked[key]
	return ok
}

// Await parks w, known by key, until q is answered, sending q unless a query on the same
// subject is under way.
func (p *Pending[W]) Await(key string, w W, q Query[W]) {
	l := p.bySubject[q.Subject]
	if l == nil {
		p.queries++
		l = &lookup[W]{id: "ampd-" + strconv.FormatUint(p.queries, 10), subject: q.Subject, from: q.From, done: q.Done}
		p.bySubject[q.Subject] = l
		p.byID[l.id] = l
		l.timer = time.AfterFunc(q.Timeout, func() { p.locked(func() { p.finish(l, nil) }) })
		p.send(q.Build(l.id))
	}
	l.waiting = append(l.waiting, w)
	l.keys = append(l.keys, key)
	p.parked[key] = struct{}{}
}

// Answer hands an iq result or error to the look-up it answers, if any.
func (p *Pending[W]) Answer(s *Stanza) {
	l := p.byID[s.ID]
	if l == nil || (l.from != "" && s.From != l.from) {
		return
	}
	p.finish(l, s)
}

func (p *Pending[W]) finish(l *lookup[W], answer *Stanza) {
	if p.bySubject[l.subject] != l {
		return
	}
	l.timer.Stop()
	delete(p.bySubject, l.subject)
	delete(p.byID, l.id)
	for _, k := range l.keys {
		delete(p.parked, k)
	}
	l.done(answer, l.waiting)
}

// Stop ends the time-out timers; the waiters are left as they are.
func (p *Pending[W]) Stop() {
	for _, l := range p.bySubject {
		l.timer.Stop()
	}
}
