package daemon

import (
	"time"

	"mellium.im/xmpp/jid"

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
			if r.from.jid.Domainpart() == h {
				return true, true
			}
		}
		return false, true
	}
	return d.rosters.lookup(r.to.bare, r.from.bare, r.s)
}

// needsPresenceAuthorisation reports whether the §9 policy can refuse this request: it has a
// presence-revealing rule (deliver, match-resource, expire-at) whose action is not drop, the
// recipient is a local or unknown account, and the sender is not the recipient.
func needsPresenceAuthorisation(r *request) bool {
	if r.facts.Recipient != resolver.RecipientLocal && r.facts.Recipient != resolver.RecipientUnknown {
		return false
	}
	if r.from.bare == r.to.bare {
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

// rosterCache keeps recently fetched rosters: who may see each recipient's presence.
type rosterCache struct {
	d       *Daemon
	entries map[string]rosterEntry // recipient bare JID → its roster
	order   []string               // insertion order of entries, for the size bound
}

type rosterEntry struct {
	allowed map[string]struct{} // bare JIDs with a from or both subscription
	expires time.Time
}

func newRosterCache(d *Daemon) *rosterCache {
	return &rosterCache{d: d, entries: make(map[string]rosterEntry)}
}

func (c *rosterCache) lookup(recipient, sender string, s *settings) (ok, known bool) {
	e, found := c.entries[recipient]
	if !found || !c.d.now().Before(e.expires) {
		return false, false
	}
	_, ok = e.allowed[sender]
	return ok, true
}

// await parks r until the recipient's roster arrives, fetching it unless a fetch is under way.
func (c *rosterCache) await(key string, r *request) {
	recipient := r.to.bare
	c.d.pending.await(key, r, query{
		subject: "roster\x00" + recipient,
		to:      recipient,
		timeout: rosterTimeout,
		iq:      func(id string) []byte { return rosterGet(c.d.domain, recipient, id) },
		done:    func(answer *xmlscan.Element, waiting []*request) { c.d.rosterResult(recipient, answer, waiting) },
	})
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

// rosterResult stores a fetched roster and decides every request that waited for it. A failed
// or timed-out fetch fails closed without caching. Called with d.mu held.
func (d *Daemon) rosterResult(recipient string, answer *xmlscan.Element, waiting []*request) {
	allowed := rosterAllowed(answer)
	switch {
	case answer == nil:
		d.metrics.RosterFetchFailures.Inc()
		d.log.Warn("roster fetch timed out; refusing presence-revealing rules (fail closed). Check that the server grants roster = \"get\" to the component", "recipient", recipient, "waiting", len(waiting))
	case allowed == nil:
		d.metrics.RosterFetchFailures.Inc()
		d.log.Warn("roster fetch refused by the server; refusing presence-revealing rules (fail closed). An unknown account has no roster; otherwise grant roster = \"get\" to the component", "recipient", recipient)
	default:
		d.rosters.store(recipient, allowed)
	}
	for _, r := range waiting {
		_, ok := allowed[r.from.bare]
		d.decide(r, ok)
	}
}

// rosterAllowed reads the bare JIDs with a from or both subscription from a roster result;
// nil for anything but a result.
func rosterAllowed(root *xmlscan.Element) map[string]struct{} {
	if root == nil || root.AttrValue("type") != "result" {
		return nil
	}
	allowed := make(map[string]struct{})
	if q, ok := root.Child(NSRoster, "query"); ok {
		for c := q.Children(); c.Next(); {
			item := c.Element()
			if !item.Is(NSRoster, "item") {
				continue
			}
			sub := item.AttrValue("subscription")
			if sub != "from" && sub != "both" {
				continue
			}
			j, err := jid.Parse(item.AttrValue("jid"))
			if err != nil {
				continue
			}
			allowed[j.Bare().String()] = struct{}{}
		}
	}
	return allowed
}

func rosterGet(from, to, id string) []byte { return queryGet(from, to, id, NSRoster) }
