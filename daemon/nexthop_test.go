package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/config"
)

const (
	notifyDirect = `<rule action='notify' condition='deliver' value='direct'/>`
	notifyReply  = `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'>` +
		`<amp xmlns='http://jabber.org/protocol/amp' status='notify' from='alice@localhost/phone' to='carol@remote.example'>` + notifyDirect + `</amp></message>`
	unavailableReply = `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1' type='error'>` +
		`<amp xmlns='http://jabber.org/protocol/amp'>` + notifyDirect + `</amp>` +
		`<error type='cancel' code='503'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`
)

// expectDisco reads ampd's request that the module ask domain for its disco#info
// (docs/PROTOCOL.md §6) and returns its id.
func (h *harness) expectDisco(domain string) string {
	h.t.Helper()
	got := string(h.recv())
	if !strings.HasPrefix(got, "<message from='amp.localhost' to='localhost'><disco-info xmlns='urn:x-ampd:route:0' id='") ||
		!strings.HasSuffix(got, "' to='"+domain+"'/></message>") {
		h.t.Fatalf("want a disco-info request for %s, got %s", domain, got)
	}
	return between(got, "id='", "'")
}

// relayDisco is the module's relay of iq, the answer to the request with iq's id.
func relayDisco(iq string) string {
	return `<message from='localhost' to='amp.localhost'><disco-info-result xmlns='urn:x-ampd:route:0' id='` + between(iq, "id='", "'") + `'>` +
		strings.Replace(iq, "<iq ", "<iq xmlns='jabber:client' ", 1) + `</disco-info-result></message>`
}

func discoResult(domain, id, payload string) string {
	return `<iq type='result' from='` + domain + `' to='amp.localhost' id='` + id + `'><query xmlns='http://jabber.org/protocol/disco#info'>` + payload + `</query></iq>`
}

const (
	ampFeature = `<identity category='server' type='im'/><feature var='http://jabber.org/protocol/amp'/>`
	noAmp      = `<identity category='server' type='im'/><feature var='urn:xmpp:ping'/>`
)

func stripped(id, reply string) string {
	return strings.Replace(verdict(id, "deliver", reply), "action='deliver'", "action='deliver' strip='amp'", 1)
}

// Each answer of the remote domain × each amp.remote_unsupported policy: the verdict and the
// reply. A notify met before a 503 refusal is not sent: only the 503 is.
func TestRemoteNextHop(t *testing.T) {
	answers := map[string]func(h *harness, id string){
		"supported":   func(h *harness, id string) { h.send(relayDisco(discoResult("remote.example", id, ampFeature))) },
		"unsupported": func(h *harness, id string) { h.send(relayDisco(discoResult("remote.example", id, noAmp))) },
		"error": func(h *harness, id string) {
			h.send(relayDisco(`<iq type='error' from='remote.example' to='amp.localhost' id='` + id + `'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`))
		},
		"never": func(*harness, string) {},
	}
	tests := []struct {
		answer, policy, want, result string
	}{
		{"supported", config.RemoteError, verdict("r", "deliver", notifyReply), "supported"},
		{"supported", config.RemoteStrip, verdict("r", "deliver", notifyReply), "supported"},
		{"supported", config.RemotePass, verdict("r", "deliver", notifyReply), "supported"},
		{"unsupported", config.RemoteError, verdict("r", "discard", unavailableReply), "unsupported"},
		{"unsupported", config.RemoteStrip, stripped("r", notifyReply), "unsupported"},
		{"unsupported", config.RemotePass, verdict("r", "deliver", notifyReply), "unsupported"},
		{"error", config.RemoteError, verdict("r", "discard", unavailableReply), "failed"},
		{"error", config.RemoteStrip, stripped("r", notifyReply), "failed"},
		{"error", config.RemotePass, verdict("r", "deliver", notifyReply), "failed"},
		{"never", config.RemoteError, verdict("r", "discard", unavailableReply), "failed"},
		{"never", config.RemoteStrip, stripped("r", notifyReply), "failed"},
		{"never", config.RemotePass, verdict("r", "deliver", notifyReply), "failed"},
	}
	for _, tc := range tests {
		t.Run(tc.answer+"/"+tc.policy, func(t *testing.T) {
			h := start(t, func(c *config.Config) {
				c.AMP.RemoteUnsupported = tc.policy
				if tc.answer == "never" {
					c.AMP.RemoteTimeout = time.Millisecond // the fake server never answers
				}
			})
			h.send(divert("r", "remote", "none", msg("carol@remote.example", notifyDirect)))
			id := h.expectDisco("remote.example")
			answers[tc.answer](h, id)
			h.expect(tc.want)
			if n := testutil.ToFloat64(h.metrics.RemoteChecks.WithLabelValues(tc.result)); n != 1 {
				t.Errorf("remote checks{%s} = %v, want 1", tc.result, n)
			}
		})
	}
}

// A second message to the same domain is decided from the cache: no second query. A request
// whose rules discard it is decided without asking at all.
func TestRemoteCached(t *testing.T) {
	h := start(t, nil)
	h.send(divert("c1", "remote", "none", msg("carol@remote.example", notifyDirect)))
	h.send(relayDisco(discoResult("remote.example", h.expectDisco("remote.example"), ampFeature)))
	h.expect(verdict("c1", "deliver", notifyReply))
	h.send(divert("c2", "remote", "none", msg("dave@remote.example", "<rule action='drop' condition='expire-at' value='2999-01-01T00:00:00Z'/>")))
	h.expect(verdict("c2", "deliver", ""))
	if n := testutil.ToFloat64(h.metrics.RemoteCacheHits); n != 1 {
		t.Errorf("cache hits = %v, want 1", n)
	}
	// Met rule discards (expired): no question for the next hop, so none for an unknown domain.
	h.send(divert("c3", "remote", "none", msg("erin@other.example", "<rule action='drop' condition='expire-at' value='2000-01-01T00:00:00Z'/>")))
	h.expect(verdict("c3", "discard", ""))
	// A negative answer is cached too (for amp.remote_negative_ttl).
	other := func(id string) string {
		return divert(id, "remote", "none", msg("carol@other.example", notifyDirect))
	}
	refused := verdict("c4", "discard", unavailableReply)
	h.send(other("c4"))
	h.send(relayDisco(discoResult("other.example", h.expectDisco("other.example"), noAmp)))
	h.expect(refused)
	h.send(other("c5"))
	h.expect(strings.Replace(refused, "route='c4'", "route='c5'", 1))
	if n := testutil.ToFloat64(h.metrics.RemoteCacheHits); n != 2 {
		t.Errorf("cache hits = %v, want 2", n)
	}
	if n := testutil.ToFloat64(h.metrics.RemoteChecks.WithLabelValues("supported")) + testutil.ToFloat64(h.metrics.RemoteChecks.WithLabelValues("unsupported")); n != 2 {
		t.Errorf("remote checks = %v, want 2", n)
	}
}

// Two messages to two domains; the first domain answers late: the second message is decided
// first, and a re-divert of a parked request sends nothing (no second query, no verdict).
func TestRemoteNoHeadOfLineBlocking(t *testing.T) {
	h := start(t, nil)
	h.send(divert("slow", "remote", "none", msg("carol@slow.example", notifyDirect)))
	slowID := h.expectDisco("slow.example")
	h.send(divert("fast", "remote", "none", msg("carol@fast.example", notifyDirect)))
	fastID := h.expectDisco("fast.example")
	h.send(divert("slow", "remote", "none", msg("carol@slow.example", notifyDirect))) // re-divert while parked
	h.send(relayDisco(discoResult("fast.example", fastID, ampFeature)))
	h.expect(verdict("fast", "deliver", strings.ReplaceAll(notifyReply, "remote.example", "fast.example")))
	h.send(relayDisco(discoResult("slow.example", slowID, ampFeature)))
	h.expect(verdict("slow", "deliver", strings.ReplaceAll(notifyReply, "remote.example", "slow.example")))
	if n := testutil.ToFloat64(h.metrics.DuplicateRoutes); n != 1 {
		t.Errorf("duplicate routes = %v, want 1", n)
	}
	// Nothing else was sent: the next stanza is the answer to this ping.
	h.send(`<iq type='get' from='a@localhost/b' to='amp.localhost' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>`)
	h.expect(`<iq from='amp.localhost' to='a@localhost/b' id='sync' type='result'/>`)
}

// An answer from another address than the one asked is ignored.
func TestRemoteAnswerFromElsewhereIgnored(t *testing.T) {
	h := start(t, func(c *config.Config) { c.AMP.RemoteTimeout = time.Millisecond })
	h.send(divert("x", "remote", "none", msg("carol@remote.example", notifyDirect)))
	id := h.expectDisco("remote.example")
	h.send(relayDisco(discoResult("evil.example", id, ampFeature)))
	h.expect(verdict("x", "discard", unavailableReply))
}

// deliver=gateway is met for a service whose disco#info identity is a gateway, and for a
// configured gateway domain without any query.
func TestGateway(t *testing.T) {
	const alertGateway = `<rule action='alert' condition='deliver' value='gateway'/>`
	alert := func(to string) string {
		return `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'>` +
			`<amp xmlns='http://jabber.org/protocol/amp' status='alert' from='alice@localhost/phone' to='` + to + `'>` + alertGateway + `</amp></message>`
	}
	h := start(t, func(c *config.Config) { c.AMP.Gateways = []string{"icq.localhost"} })
	h.send(divert("g1", "service", "none", msg("user@xmpp.localhost", alertGateway)))
	h.send(relayDisco(`<iq type='result' from='xmpp.localhost' to='amp.localhost' id='` + h.expectDisco("xmpp.localhost") + `'>` +
		`<query xmlns='http://jabber.org/protocol/disco#info'><identity category='gateway' type='xmpp'/></query></iq>`))
	h.expect(verdict("g1", "discard", alert("user@xmpp.localhost")))

	h.send(divert("g2", "service", "none", msg("user@icq.localhost", alertGateway)))
	h.expect(verdict("g2", "discard", alert("user@icq.localhost")))

	// A service that is no gateway: not met, delivered; no next-hop check for a service.
	h.send(divert("g3", "service", "none", msg("room@muc.localhost", alertGateway)))
	h.send(relayDisco(discoResult("muc.localhost", h.expectDisco("muc.localhost"), `<identity category='conference' type='text'/>`)))
	h.expect(verdict("g3", "deliver", ""))

	// A remote gateway: met, and discarded without the AMP check mattering.
	h.send(divert("g4", "remote", "none", msg("user@gw.example", alertGateway)))
	h.send(relayDisco(discoResult("gw.example", h.expectDisco("gw.example"), `<identity category='gateway' type='irc'/>`)))
	h.expect(verdict("g4", "discard", alert("user@gw.example")))
}

// A request from another server that names its original addresses on <amp/> is answered to
// the message's from with those addresses in the reply's <amp from to>.
func TestS2SStampedReply(t *testing.T) {
	h := start(t, nil)
	rule := `<rule action='alert' condition='deliver' value='stored'/>`
	inner := `<message xmlns='jabber:client' from='carol@remote.example/home' to='bob@localhost' id='m1' type='chat'><body>hi</body>` +
		`<amp xmlns='http://jabber.org/protocol/amp' from='carol@remote.example/laptop' to='bob@localhost/work'>` + rule + `</amp></message>`
	h.send(strings.Replace(divert("s1", "local", "store", inner), "origin='c2s'", "origin='s2s'", 1))
	h.expect(verdict("s1", "discard", `<message xmlns='jabber:client' from='localhost' to='carol@remote.example/home' id='m1'>`+
		`<amp xmlns='http://jabber.org/protocol/amp' status='alert' from='carol@remote.example/laptop' to='bob@localhost/work'>`+rule+`</amp></message>`))
}
