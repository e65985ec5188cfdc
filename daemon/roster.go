package daemon

import (
	"time"

	"github.com/ampd-xmpp/ampd/iq"
	"github.com/ampd-xmpp/ampd/resolver"
)

// rosterTimeout bounds a roster fetch; past it the §9 policy fails closed.
const rosterTimeout = 5 * time.Second

// subscribers are the bare JIDs a recipient's roster lets see their presence.
type subscribers map[string]struct{}

// knownRoster answers the resolver's roster question from the cache, if it can.
func (d *Daemon) knownRoster(r *request) (resolver.RosterAnswer, bool) {
	subs, ok := d.rosters.Get(r.to.Bare, d.now())
	if !ok {
		return resolver.RosterAnswer{}, false
	}
	_, allows := subs[r.from.Bare]
	return resolver.RosterAnswer{Known: true, Allows: allows}, true
}

// fetchRoster parks r until the recipient's roster arrives, fetching it unless a fetch is
// under way. Called with d.mu held.
func (d *Daemon) fetchRoster(r *request) {
	recipient := r.to.Bare
	d.park(r, iq.Query[*request]{
		Subject: "roster\x00" + recipient,
		Timeout: rosterTimeout,
		Build:   func(id string) []byte { return iq.AppendRosterQuery(nil, d.domain, recipient, id) },
		Done:    func(answer *iq.Stanza, waiting []*request) { d.rosterArrived(recipient, answer, waiting) },
	})
}

// rosterArrived stores a fetched roster and resumes every request that waited for it. A
// failed or timed-out fetch fails closed without caching. Called with d.mu held.
func (d *Daemon) rosterArrived(recipient string, answer *iq.Stanza, waiting []*request) {
	subs, ok := iq.PresenceSubscribers(answer)
	switch s := d.settings.Load(); {
	case answer == nil:
		d.metrics.RosterFetchFailures.Inc()
		d.log.Warn("roster fetch timed out; refusing presence-revealing rules (fail closed). Check that the server grants roster = \"get\" to the component", "recipient", recipient, "waiting", len(waiting))
	case !ok:
		d.metrics.RosterFetchFailures.Inc()
		d.log.Warn("roster fetch refused by the server; refusing presence-revealing rules (fail closed). An unknown account has no roster; otherwise grant roster = \"get\" to the component", "recipient", recipient)
	case s.rosterTTL > 0:
		d.rosters.Put(recipient, subs, d.now().Add(s.rosterTTL), s.rosterMax)
	}
	for _, r := range waiting {
		_, allows := subs[r.from.Bare]
		r.answers.Roster = resolver.RosterAnswer{Known: true, Allows: allows}
		d.resolve(r)
	}
}
