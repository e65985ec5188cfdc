package daemon

import (
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// hopCacheSize bounds the domains whose disco#info answer is kept; the oldest go first.
const hopCacheSize = 10000

// hopInfo is what a domain's disco#info answer says about it: whether it advertises AMP
// (amp-semantics §8, the remote next hop) and whether it is a gateway (§3, deliver=gateway).
// One answer serves both questions.
type hopInfo struct {
	amp     bool
	gateway bool
}

// hopCache keeps recent disco#info answers per domain.
type hopCache struct {
	entries map[string]hopEntry
	order   []string // insertion order, for the size bound
}

type hopEntry struct {
	info    hopInfo
	expires time.Time
}

func newHopCache() *hopCache { return &hopCache{entries: make(map[string]hopEntry)} }

func (c *hopCache) get(domain string, now time.Time) (hopInfo, bool) {
	e, ok := c.entries[domain]
	if !ok || !now.Before(e.expires) {
		return hopInfo{}, false
	}
	return e.info, true
}

func (c *hopCache) put(domain string, info hopInfo, expires time.Time) {
	if _, ok := c.entries[domain]; !ok {
		c.order = append(c.order, domain)
		for len(c.order) > hopCacheSize {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.entries[domain] = hopEntry{info: info, expires: expires}
}

// needsHop reports whether the decision for r depends on its recipient domain's disco#info:
// a remote recipient's message that would be delivered (is the next hop AMP-capable?), and
// a remote or service recipient not configured as a gateway whose rules ask about the
// disposition (is it a gateway?).
func needsHop(r *request, dec resolver.Decision) bool {
	switch r.facts.Recipient {
	case resolver.RecipientRemote:
		return dec.Verdict == resolver.Deliver || (!r.facts.Gateway && hasDeliverRule(&r.msg))
	case resolver.RecipientService:
		return !r.facts.Gateway && hasDeliverRule(&r.msg)
	}
	return false
}

func hasDeliverRule(m *amp.Message) bool {
	for _, rule := range m.Amp.Rules {
		if rule.Condition.Value == "deliver" {
			return true
		}
	}
	return false
}

// knowHop fills r.hop from the cache, or parks r until the domain answers. It reports whether
// r.hop is known now. Called with d.mu held.
func (d *Daemon) knowHop(r *request) bool {
	domain := r.to.jid.Domainpart()
	if info, ok := d.hops.get(domain, d.now()); ok {
		d.metrics.RemoteCacheHits.Inc()
		r.hop = &info
		return true
	}
	d.pending.await(routeKey(r.div.Host, r.div.ID), r, query{
		subject:   "disco\x00" + domain,
		to:        domain,
		timeout:   r.s.remoteTimeout,
		iq:        func(id string) []byte { return d.discoInfoQuery(r.div.Host, domain, id) },
		done:      func(answer *xmlscan.Element, waiting []*request) { d.hopResult(domain, answer, waiting) },
		checkFrom: true,
	})
	return false
}

// hopResult caches a domain's disco#info answer and decides every request that waited for it.
// An answer that advertises AMP or names a gateway is kept for amp.remote_cache_ttl; one
// without either, an error and a time-out for amp.remote_negative_ttl. Called with d.mu held.
func (d *Daemon) hopResult(domain string, answer *xmlscan.Element, waiting []*request) {
	s := d.settings.Load()
	info, answered := parseDiscoInfo(answer)
	ttl := s.remoteNegativeTTL
	switch {
	case !answered:
		d.metrics.RemoteChecks.WithLabelValues("failed").Inc()
		why := "error answer"
		if answer == nil {
			why = "no answer in time"
		}
		d.log.Info("remote domain's disco#info failed; treating it as without AMP", "domain", domain, "why", why, "policy", s.remoteUnsupported, "waiting", len(waiting))
	case info.amp:
		d.metrics.RemoteChecks.WithLabelValues("supported").Inc()
		ttl = s.remoteTTL
	default:
		d.metrics.RemoteChecks.WithLabelValues("unsupported").Inc()
		if info.gateway {
			ttl = s.remoteTTL
		}
	}
	if ttl > 0 {
		d.hops.put(domain, info, d.now().Add(ttl))
	}
	for _, r := range waiting {
		r.hop = &info
		d.evaluate(r)
	}
}

// parseDiscoInfo reads a disco#info answer; answered is false for an error or no answer.
func parseDiscoInfo(root *xmlscan.Element) (info hopInfo, answered bool) {
	if root == nil || root.AttrValue("type") != "result" {
		return hopInfo{}, false
	}
	q, ok := root.Child(nsDiscoInfo, "query")
	if !ok {
		return hopInfo{}, true
	}
	for c := q.Children(); c.Next(); {
		e := c.Element()
		switch {
		case e.Is(nsDiscoInfo, "identity"):
			info.gateway = info.gateway || e.AttrValue("category") == "gateway"
		case e.Is(nsDiscoInfo, "feature"):
			info.amp = info.amp || e.AttrValue("var") == amp.NS
		}
	}
	return info, true
}

// discoInfoQuery asks the server module of host to send domain a disco#info from the server's
// own domain and relay the answer (docs/PROTOCOL.md §6): ejabberd 24.10 and later drop IQs a
// component sends to domains that granted it nothing, the server's own they route.
func (d *Daemon) discoInfoQuery(host, domain, id string) []byte {
	return route.AppendDiscoInfoQuery(nil, d.domain, host, id, domain)
}

// discoInfoRelayed takes a disco#info answer the server module relayed (route.
// ParseDiscoInfoResult) as the answer to the lookup with that id, as if it had come as an iq.
func (d *Daemon) discoInfoRelayed(id string, answer *xmlscan.Element) {
	d.mu.Lock()
	d.pending.answer(id, answer)
	d.mu.Unlock()
}
