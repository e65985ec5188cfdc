package resolver

import (
	"errors"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
	"pgregory.net/rapid"

	"github.com/ampd-xmpp/ampd/amp"
)

// The request of these tests: Romeo writes to the recipient with rules, diverted by
// capulet.lit.
func resolveRequest(kind RecipientKind, to string, rules ...amp.Rule) *Request {
	m := request("chat", rules...)
	m.From, m.To = attr(romeo.String()), attr(to)
	in := Input{Message: m, From: romeo, To: mustJID(to), Facts: Facts{Recipient: kind, OfflineStorage: true}, Now: t2004}
	return &Request{Input: in, Host: "capulet.lit"}
}

func TestResolve(t *testing.T) {
	notifyStored := rule("notify", "deliver", "stored")
	alertDirect := rule("alert", "deliver", "direct")
	notifyDirect := rule("notify", "deliver", "direct")
	gatewayDrop := rule("drop", "deliver", "gateway")
	matchAny := rule("alert", "match-resource", "any")
	roster := Policy{Features: DefaultFeatures(), Presence: PresenceRoster}
	allows := Answers{Roster: RosterAnswer{Known: true, Allows: true}}
	refuses := Answers{Roster: RosterAnswer{Known: true}}
	noAMP := Answers{NextHop: &NextHop{}}

	tests := []struct {
		name    string
		req     *Request
		ans     Answers
		policy  Policy
		need    Need
		verdict Verdict
		strip   bool
		reply   string // a substring of the reply; "" for none
		kind    string // ReplyKind
	}{
		{name: "a stranger's presence rule asks for the roster",
			req: resolveRequest(RecipientLocal, "juliet@capulet.lit", notifyStored), policy: roster, need: NeedRoster},
		{name: "the roster allows: judged",
			req: resolveRequest(RecipientLocal, "juliet@capulet.lit", notifyStored), ans: allows, policy: roster,
			verdict: Deliver, reply: "status='notify'", kind: "notify"},
		{name: "the roster refuses: invalid-rules, whatever the presence",
			req: resolveRequest(RecipientLocal, "juliet@capulet.lit", notifyStored), ans: refuses, policy: roster,
			verdict: Discard, reply: "invalid-rules", kind: "validation"},
		{name: "a drop rule reveals nothing: no roster asked",
			req: resolveRequest(RecipientLocal, "juliet@capulet.lit", rule("drop", "deliver", "stored")), policy: roster,
			verdict: Discard},
		{name: "same-domain trusts the served hosts",
			req:     resolveRequest(RecipientLocal, "juliet@capulet.lit", notifyStored),
			policy:  Policy{Features: DefaultFeatures(), Presence: PresenceSameDomain, LocalHosts: []string{"montague.lit"}},
			verdict: Deliver, reply: "status='notify'", kind: "notify"},
		{name: "same-domain asks the roster for other senders (roster in addition)",
			req:    resolveRequest(RecipientLocal, "juliet@capulet.lit", notifyStored),
			policy: Policy{Features: DefaultFeatures(), Presence: PresenceSameDomain, LocalHosts: []string{"capulet.lit"}},
			need:   NeedRoster},
		{name: "same-domain with a refusing roster: invalid-rules",
			req: resolveRequest(RecipientLocal, "juliet@capulet.lit", notifyStored), ans: refuses,
			policy:  Policy{Features: DefaultFeatures(), Presence: PresenceSameDomain, LocalHosts: []string{"capulet.lit"}},
			verdict: Discard, reply: "invalid-rules", kind: "validation"},
		{name: "off trusts everybody",
			req: resolveRequest(RecipientLocal, "juliet@capulet.lit", matchAny), policy: Policy{Features: DefaultFeatures(), Presence: PresenceOff},
			verdict: Deliver},
		{name: "a remote delivery asks the next hop",
			req: resolveRequest(RecipientRemote, "nurse@verona.example", notifyDirect), policy: roster, need: NeedNextHop},
		{name: "next hop with AMP: delivered, notified",
			req: resolveRequest(RecipientRemote, "nurse@verona.example", notifyDirect), ans: Answers{NextHop: &NextHop{AMP: true}}, policy: roster,
			verdict: Deliver, reply: "status='notify'", kind: "notify"},
		{name: "next hop without AMP, remote_unsupported error: only the 503",
			req: resolveRequest(RecipientRemote, "nurse@verona.example", notifyDirect), ans: noAMP, policy: roster,
			verdict: Discard, reply: "service-unavailable", kind: "service-unavailable"},
		{name: "remote_unsupported strip",
			req: resolveRequest(RecipientRemote, "nurse@verona.example", notifyDirect), ans: noAMP,
			policy:  Policy{Features: DefaultFeatures(), RemoteUnsupported: RemoteStrip},
			verdict: Deliver, strip: true, reply: "status='notify'", kind: "notify"},
		{name: "remote_unsupported pass",
			req: resolveRequest(RecipientRemote, "nurse@verona.example", notifyDirect), ans: noAMP,
			policy:  Policy{Features: DefaultFeatures(), RemoteUnsupported: RemotePass},
			verdict: Deliver, reply: "status='notify'", kind: "notify"},
		{name: "a met alert is not delivered: no next hop needed",
			req: resolveRequest(RecipientRemote, "nurse@verona.example", rule("alert", "expire-at", "2003-01-01T00:00:00Z")), policy: roster,
			verdict: Discard, reply: "status='alert'", kind: "alert"},
		{name: "a deliver rule asks even when not delivered (is it a gateway?)",
			req: resolveRequest(RecipientRemote, "nurse@verona.example", alertDirect), policy: roster, need: NeedNextHop},
		{name: "a service's disposition asks whether it is a gateway",
			req: resolveRequest(RecipientService, "irc.capulet.lit", gatewayDrop), policy: roster, need: NeedNextHop},
		{name: "the service is a gateway",
			req: resolveRequest(RecipientService, "irc.capulet.lit", gatewayDrop), ans: Answers{NextHop: &NextHop{Gateway: true}}, policy: roster,
			verdict: Discard},
		{name: "a configured gateway needs no question",
			req:     resolveRequest(RecipientService, "irc.capulet.lit", gatewayDrop),
			policy:  Policy{Features: DefaultFeatures(), Gateways: []string{"irc.capulet.lit"}},
			verdict: Discard},
		{name: "reply_from names the component",
			req: resolveRequest(RecipientLocal, "juliet@capulet.lit", notifyStored), ans: allows,
			policy:  Policy{Features: DefaultFeatures(), ReplyFrom: "amp.capulet.lit"},
			verdict: Deliver, reply: "from='amp.capulet.lit'", kind: "notify"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Resolve(tc.req, tc.ans, &tc.policy, nil)
			if o.Need != tc.need {
				t.Fatalf("need %v, want %v", o.Need, tc.need)
			}
			if tc.need != NeedNothing {
				if o.Reply != nil || o.Verdict != "" {
					t.Fatalf("a need carries an outcome: %+v", o)
				}
				return
			}
			if o.Verdict != tc.verdict || o.Strip != tc.strip || o.ReplyKind != tc.kind && o.Reply != nil {
				t.Errorf("outcome %s strip %v kind %q, want %s strip %v kind %q", o.Verdict, o.Strip, o.ReplyKind, tc.verdict, tc.strip, tc.kind)
			}
			if (tc.reply == "") != (o.Reply == nil) || !strings.Contains(string(o.Reply), tc.reply) {
				t.Errorf("reply %s, want one with %q", o.Reply, tc.reply)
			}
		})
	}
}

func TestResolveUnjudged(t *testing.T) {
	p := Policy{Features: DefaultFeatures()}
	unreadable := resolveRequest(RecipientLocal, "juliet@capulet.lit", rule("notify", "deliver", "stored"))
	unreadable.Unreadable = errors.New("unexpected EOF")
	o := Resolve(unreadable, Answers{}, &p, nil)
	if o.Why != WhyUnreadable || o.Verdict != Discard || !strings.Contains(string(o.Reply), "not-well-formed: unexpected EOF") || o.Decision.Err.Class() != "malformed" {
		t.Errorf("unreadable: %+v %s", o, o.Reply)
	}
	reply := resolveRequest(RecipientLocal, "juliet@capulet.lit", rule("notify", "deliver", "stored"))
	reply.Message.Amp.Status = attr("notify")
	if o := Resolve(reply, Answers{}, &p, nil); o.Why != WhyNotRequest || o.Verdict != Deliver || o.Reply != nil {
		t.Errorf("not a request: %+v", o)
	}
	bad := resolveRequest(RecipientLocal, "juliet@capulet.lit", rule("notify", "deliver", "stored"))
	bad.BadFrom = true
	if o := Resolve(bad, Answers{}, &p, nil); o.Why != WhyBadSender || o.Verdict != Discard || o.Reply != nil {
		t.Errorf("bad sender: %+v", o)
	}
	bad.BadFrom, bad.BadTo = false, true
	if o := Resolve(bad, Answers{}, &p, nil); o.Why != WhyBadRecipient || o.Verdict != Deliver || o.Reply != nil {
		t.Errorf("bad recipient: %+v", o)
	}
}

// A request from another server with the original addresses stamped on its <amp/> is
// answered with them (XEP-0079 §4.1); from a client the stamp is not trusted.
func TestResolveStampedFromPeer(t *testing.T) {
	p := Policy{Features: DefaultFeatures(), Presence: PresenceOff}
	req := resolveRequest(RecipientLocal, "juliet@capulet.lit", rule("notify", "deliver", "stored"))
	req.Message.Amp.From, req.Message.Amp.To = attr("romeo@montague.lit/home"), attr("juliet@capulet.lit/balcony")
	req.FromPeer = true
	if o := Resolve(req, Answers{}, &p, nil); !strings.Contains(string(o.Reply), "from='romeo@montague.lit/home' to='juliet@capulet.lit/balcony'") {
		t.Errorf("stamped reply %s", o.Reply)
	}
	req.FromPeer = false
	if o := Resolve(req, Answers{}, &p, nil); strings.Contains(string(o.Reply), "balcony") {
		t.Errorf("a client's stamp was trusted: %s", o.Reply)
	}
}

func mustJID(s string) jid.JID { return jid.MustParse(s) }

// Resolve is resumable: each need is asked at most once, and once every need is answered an
// outcome comes, whatever the request, the policy and the answers.
func TestPropertyResolveAsksEachNeedOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		req := &Request{Input: genInput(t, genMessage(t, genAnyRule)), Host: "capulet.lit", FromPeer: rapid.Bool().Draw(t, "peer")}
		p := Policy{
			Features:          DefaultFeatures(),
			Presence:          PresencePolicy(rapid.IntRange(0, 2).Draw(t, "presence")),
			RemoteUnsupported: RemoteUnsupported(rapid.IntRange(0, 2).Draw(t, "remote")),
			LocalHosts:        []string{"capulet.lit"},
		}
		var ans Answers
		asked := map[Need]bool{}
		for range 3 {
			o := Resolve(req, ans, &p, nil)
			if o.Need == NeedNothing {
				if o.Verdict == "" {
					t.Fatalf("outcome without a verdict: %+v", o)
				}
				return
			}
			if asked[o.Need] {
				t.Fatalf("asked twice for need %d", o.Need)
			}
			asked[o.Need] = true
			switch o.Need {
			case NeedRoster:
				ans.Roster = RosterAnswer{Known: true, Allows: rapid.Bool().Draw(t, "allows")}
			case NeedNextHop:
				ans.NextHop = &NextHop{AMP: rapid.Bool().Draw(t, "amp"), Gateway: rapid.Bool().Draw(t, "gateway")}
			}
		}
		t.Fatal("no outcome once every need was answered")
	})
}
