package daemon

import (
	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/iq"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
)

// The next hop's disco#info (amp-semantics §8: does a remote server support AMP? §3: is a
// domain a gateway?) is asked here and nowhere else: askNextHop has the server module send the
// query from the server's own domain (route §6: ejabberd 24.10 and later drop IQs a component
// sends to domains that granted it nothing), handler.go takes the relayed answer, and
// nextHopArrived receives it (or the time-out) and resumes the requests that waited.

// hopCacheSize bounds the domains whose disco#info answer is kept; the oldest go first.
const hopCacheSize = 10000

// knownNextHop answers the resolver's next-hop question from the cache, if it can.
func (d *Daemon) knownNextHop(r *request) (*resolver.NextHop, bool) {
	h, ok := d.hops.Get(r.to.JID.Domainpart(), d.now())
	if !ok {
		return nil, false
	}
	d.metrics.RemoteCacheHits.Inc()
	return &h, true
}

// askNextHop parks r until the recipient's domain answers its disco#info. Called with d.mu
// held.
func (d *Daemon) askNextHop(r *request) {
	domain := r.to.JID.Domainpart()
	d.park(r, iq.Query[*request]{
		Subject: "disco\x00" + domain,
		From:    domain, // servers answer disco#info from the queried domain
		Timeout: r.s.remoteTimeout,
		Build:   func(id string) []byte { return route.AppendDiscoInfoQuery(nil, d.domain, r.div.Host, id, domain) },
		Done:    func(answer *iq.Stanza, waiting []*request) { d.nextHopArrived(domain, answer, waiting) },
	})
}

// nextHopArrived caches a domain's disco#info answer and resumes every request that waited
// for it. An answer that advertises AMP or names a gateway is kept for amp.remote_cache_ttl;
// one without either, an error and a time-out for amp.remote_negative_ttl. Called with d.mu
// held.
func (d *Daemon) nextHopArrived(domain string, answer *iq.Stanza, waiting []*request) {
	s := d.settings.Load()
	info, answered := iq.ParseDiscoInfo(answer)
	hop := resolver.NextHop{AMP: info.HasFeature(amp.NS), Gateway: info.HasCategory("gateway")}
	ttl := s.remoteNegativeTTL
	switch {
	case !answered:
		d.metrics.RemoteChecks.WithLabelValues("failed").Inc()
		why := "error answer"
		if answer == nil {
			why = "no answer in time"
		}
		d.log.Info("remote domain's disco#info failed; treating it as without AMP", "domain", domain, "why", why, "waiting", len(waiting))
	case hop.AMP:
		d.metrics.RemoteChecks.WithLabelValues("supported").Inc()
		ttl = s.remoteTTL
	default:
		d.metrics.RemoteChecks.WithLabelValues("unsupported").Inc()
		if hop.Gateway {
			ttl = s.remoteTTL
		}
	}
	if ttl > 0 {
		d.hops.Put(domain, hop, d.now().Add(ttl), hopCacheSize)
	}
	for _, r := range waiting {
		r.answers.NextHop = &hop
		d.resolve(r)
	}
}
