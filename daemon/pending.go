package daemon

import (
	"strconv"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/iq"
)

// pendingLookups are the iq queries ampd has sent to the server (a recipient's roster, a
// domain's disco#info) and the requests parked until their answer arrives. A parked request
// blocks nothing else: other messages, also ones waiting for another answer, are decided
// meanwhile. One query serves every request waiting for the same subject.
type pendingLookups struct {
	d         *Daemon
	bySubject map[string]*lookup  // what is being looked up → the query under way
	byIQ      map[string]*lookup  // iq id → the query under way
	parked    map[string]struct{} // route keys of parked requests, for de-duplication
}

// lookup is one query under way.
type lookup struct {
	id      string
	subject string
	from    string // the address the answer must come from; "" accepts any
	waiting []*request
	keys    []string
	timer   *time.Timer
	// done decides the requests that waited, with the answer (an iq result or error), or
	// nil when none came in time. Called with d.mu held.
	done func(answer *iq.Stanza, waiting []*request)
}

// query describes the iq a lookup sends.
type query struct {
	subject string // the key under which concurrent lookups are merged
	to      string
	timeout time.Duration
	iq      func(id string) []byte
	done    func(answer *iq.Stanza, waiting []*request)
	// checkFrom requires the answer to come from to (servers answer disco#info from the
	// queried domain; roster answers come from the account or the host).
	checkFrom bool
}

func newPendingLookups(d *Daemon) *pendingLookups {
	return &pendingLookups{
		d:         d,
		bySubject: make(map[string]*lookup),
		byIQ:      make(map[string]*lookup),
		parked:    make(map[string]struct{}),
	}
}

// waiting reports whether the request of this route is parked.
func (p *pendingLookups) waiting(host, id string) bool {
	if len(p.parked) == 0 {
		return false // the common case, without building the key
	}
	_, ok := p.parked[routeKey(host, id)]
	return ok
}

// await parks r until q is answered, sending q unless a query for the same subject is under
// way. The message bytes are copied: the component's read buffer is reused after the caller
// returns. Called with d.mu held.
func (p *pendingLookups) await(r *request, q query) {
	if !r.owned {
		// r may be the daemon's reusable request: park a copy with storage of its own.
		c := *r
		c.div.Message = append([]byte(nil), r.div.Message...)
		c.msg = amp.Message{}
		c.req.Message = &c.msg
		c.owned = true
		if c.req.Unreadable = amp.ParseMessage(c.div.Message, &c.msg); c.req.Unreadable != nil {
			p.d.resolve(&c) // cannot happen: the same bytes were read before
			return
		}
		r = &c
	}
	key := routeKey(r.div.Host, r.div.ID)
	l := p.bySubject[q.subject]
	if l == nil {
		l = &lookup{id: "ampd-" + strconv.FormatUint(p.d.queries.Add(1), 10), subject: q.subject, done: q.done}
		if q.checkFrom {
			l.from = q.to
		}
		p.bySubject[q.subject] = l
		p.byIQ[l.id] = l
		l.timer = time.AfterFunc(q.timeout, func() {
			p.d.mu.Lock()
			defer p.d.mu.Unlock()
			p.finish(l, nil)
			p.d.flushVerdicts() // no group of stanzas ends here to send them
		})
		p.d.send(q.iq(l.id))
	}
	l.waiting = append(l.waiting, r)
	l.keys = append(l.keys, key)
	p.parked[key] = struct{}{}
}

// answer hands an iq result or error to the lookup it answers, if any. Called with d.mu held.
func (p *pendingLookups) answer(s *iq.Stanza) {
	l := p.byIQ[s.ID]
	if l == nil || (l.from != "" && s.From != l.from) {
		return
	}
	p.finish(l, s)
}

// finish ends a lookup once: the first of answer and time-out wins, the other finds it gone.
func (p *pendingLookups) finish(l *lookup, answer *iq.Stanza) {
	if p.bySubject[l.subject] != l {
		return
	}
	l.timer.Stop()
	delete(p.bySubject, l.subject)
	delete(p.byIQ, l.id)
	for _, k := range l.keys {
		delete(p.parked, k)
	}
	l.done(answer, l.waiting)
}

// stop ends the time-out timers; parked requests are left to the server module, which
// diverts them again when ampd is back.
func (p *pendingLookups) stop() {
	p.d.mu.Lock()
	defer p.d.mu.Unlock()
	for _, l := range p.bySubject {
		l.timer.Stop()
	}
}
