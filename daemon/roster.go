package daemon

import (
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// NSRoster is the roster namespace (RFC 6121), read through XEP-0356 roster permission.
const NSRoster = "jabber:iq:roster"

// rosterTimeout bounds a roster fetch; past it the §9 policy fails closed.
const rosterTimeout = 5 * time.Second

// authorised answers the §9 question "may the sender see the recipient's presence?" when it
// can without waiting; known is false when the recipient's roster must be fetched first.
// Called with d.mu held.
func (d *Daemon) authorised(r *request) (ok, known bool) {
	if !needsPresenceAuthorisation(r) {
		return true, true // the answer cannot change the decision
	}
	switch r.s.policy {
	case config.PolicyOff:
		return true, true
	case config.PolicySameDomain:
		for _, h := range d.hosts {
			if r.from.Domainpart() == h {
				return true, true
			}
		}
		return false, true
	}
	return d.rosters.lookup(r.to.Bare().String(), r.from.Bare().String(), r.s)
}

// needsPresenceAuthorisation reports whether the §9 policy can refuse this request: it has a
// presence-revealing rule (deliver, match-resource, expire-at) whose action is not drop, the
// recipient is a local or unknown account, and the sender is not the recipient.
func needsPresenceAuthorisation(r *request) bool {
	if r.facts.Recipient != resolver.RecipientLocal && r.facts.Recipient != resolver.RecipientUnknown {
		return false
	}
	if r.from.Bare().Equal(r.to.Bare()) {
		return false
	}
	for _, rule := range r.msg.Amp.Rules {
		switch rule.Condition.Value {
		case "deliver", "match-resource", "expire-at":
			if rule.Action.Value != "drop" {
				return true
			}
		}
	}
	return false
}

// rosterCache keeps recently fetched rosters (who may see each recipient's presence) and the
// requests waiting for a fetch.
type rosterCache struct {
	d       *Daemon
	entries map[string]rosterEntry  // recipient bare JID → its roster
	fetches map[string]*rosterFetch // recipient bare JID → the fetch under way
	byIQ    map[string]*rosterFetch // iq id → the fetch under way
	parked  map[string]struct{}     // route keys of waiting requests, for de-duplication
	order   []string                // insertion order of entries, for the size bound
}

type rosterEntry struct {
	allowed map[string]struct{} // bare JIDs with a from or both subscription
	expires time.Time
}

type rosterFetch struct {
	id        string
	recipient string
	waiting   []*request
	keys      []string
	timer     *time.Timer
}

func newRosterCache(d *Daemon) *rosterCache {
	return &rosterCache{
		d:       d,
		entries: make(map[string]rosterEntry),
		fetches: make(map[string]*rosterFetch),
		byIQ:    make(map[string]*rosterFetch),
		parked:  make(map[string]struct{}),
	}
}

func (c *rosterCache) lookup(recipient, sender string, s *settings) (ok, known bool) {
	e, found := c.entries[recipient]
	if !found || !c.d.now().Before(e.expires) {
		return false, false
	}
	_, ok = e.allowed[sender]
	return ok, true
}

func (c *rosterCache) waiting(key string) bool {
	_, ok := c.parked[key]
	return ok
}

// await parks r until the recipient's roster arrives, fetching it unless a fetch is under way.
// The message bytes are copied: the component's read buffer is reused after this call.
func (c *rosterCache) await(key string, r *request) {
	r.div.Message = append([]byte(nil), r.div.Message...)
	if err := amp.ParseMessage(r.div.Message, &r.msg); err != nil {
		c.d.refuseUnreadable(r, err)
		return
	}
	recipient := r.to.Bare().String()
	f := c.fetches[recipient]
	if f == nil {
		f = &rosterFetch{id: "roster-" + strconv.FormatUint(c.d.rosterAsked.Add(1), 10), recipient: recipient}
		c.fetches[recipient] = f
		c.byIQ[f.id] = f
		f.timer = time.AfterFunc(rosterTimeout, func() { c.d.rosterTimedOut(f) })
		c.d.send(rosterGet(c.d.domain, recipient, f.id))
	}
	f.waiting = append(f.waiting, r)
	f.keys = append(f.keys, key)
	c.parked[key] = struct{}{}
}

// finish stores a fetched roster (nil allowed: fetch failed, fail closed without caching) and
// decides every request that waited for it. Called with d.mu held.
func (c *rosterCache) finish(f *rosterFetch, allowed map[string]struct{}) {
	if c.fetches[f.recipient] != f {
		return // already finished (a late answer after the time-out, or the reverse)
	}
	f.timer.Stop()
	delete(c.fetches, f.recipient)
	delete(c.byIQ, f.id)
	if allowed != nil {
		c.store(f.recipient, allowed)
	}
	for i, r := range f.waiting {
		delete(c.parked, f.keys[i])
		_, ok := allowed[r.from.Bare().String()]
		c.d.decide(r, ok)
	}
}

func (c *rosterCache) store(recipient string, allowed map[string]struct{}) {
	s := c.d.settings.Load()
	if s.rosterTTL <= 0 {
		return
	}
	if _, ok := c.entries[recipient]; !ok {
		c.order = append(c.order, recipient)
		for len(c.order) > s.rosterMax {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.entries[recipient] = rosterEntry{allowed: allowed, expires: c.d.now().Add(time.Duration(s.rosterTTL))}
}

// stop ends the time-out timers; waiting requests are left to the server module, which
// diverts them again when ampd is back.
func (c *rosterCache) stop() {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	for _, f := range c.fetches {
		f.timer.Stop()
	}
}

func (d *Daemon) rosterTimedOut(f *rosterFetch) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rosters.fetches[f.recipient] != f {
		return
	}
	d.metrics.RosterFetchFailures.Inc()
	d.log.Warn("roster fetch timed out; refusing presence-revealing rules (fail closed). Check that the server grants roster = \"get\" to the component", "recipient", f.recipient, "waiting", len(f.waiting))
	d.rosters.finish(f, nil)
}

// rosterResult handles the answer to a roster fetch. Called with d.mu held.
func (d *Daemon) rosterResult(id string, root *xmlscan.Element) {
	f := d.rosters.byIQ[id]
	if f == nil {
		return
	}
	if attrValue(root, "type") != "result" {
		d.metrics.RosterFetchFailures.Inc()
		d.log.Warn("roster fetch refused by the server; refusing presence-revealing rules (fail closed). An unknown account has no roster; otherwise grant roster = \"get\" to the component", "recipient", f.recipient)
		d.rosters.finish(f, nil)
		return
	}
	allowed := make(map[string]struct{})
	if q, ok := root.Child(NSRoster, "query"); ok {
		for c := q.Children(); c.Next(); {
			item := c.Element()
			if !item.Is(NSRoster, "item") {
				continue
			}
			sub := attrValue(&item, "subscription")
			if sub != "from" && sub != "both" {
				continue
			}
			j, err := jid.Parse(attrValue(&item, "jid"))
			if err != nil {
				continue
			}
			allowed[j.Bare().String()] = struct{}{}
		}
	}
	d.rosters.finish(f, allowed)
}

func rosterGet(from, to, id string) []byte {
	b := []byte("<iq type='get' from='")
	b = xmlscan.AppendEscaped(b, from)
	b = append(b, "' to='"...)
	b = xmlscan.AppendEscaped(b, to)
	b = append(b, "' id='"...)
	b = xmlscan.AppendEscaped(b, id)
	return append(b, "'><query xmlns='"+NSRoster+"'/></iq>"...)
}
