package resolver

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
)

// recipientState is one state of the recipient with everything amp-semantics §3 and §4 say
// about it: the default disposition and which match-resource values are met.
type recipientState struct {
	name             string
	from, to         jid.JID
	typ              string
	facts            Facts
	available        []Resource
	disposition      Disposition
	any, exact, othr bool // match-resource values met
}

func (s recipientState) input(m *amp.Message) Input {
	in := local(m, s.available...)
	in.From, in.To, in.Facts = s.from, s.to, s.facts
	return in
}

var (
	localStore   = Facts{Recipient: RecipientLocal, OfflineStorage: true}
	localNoStore = Facts{Recipient: RecipientLocal}
	julietLaptop = jid.MustParse("juliet@capulet.lit/laptop")
)

var recipientStates = [...]recipientState{
	0:  {"bare, one resource", romeo, juliet, "chat", localStore, online, Direct, true, false, true},
	1:  {"bare, several resources", romeo, juliet, "chat", localStore, []Resource{{"phone", 1}, {"laptop", 1}, {"tablet", 0}}, Direct, true, false, true},
	2:  {"bare, only negative priority", romeo, juliet, "chat", localStore, []Resource{{"phone", -1}}, Stored, true, true, false},
	3:  {"bare, offline, storage", romeo, juliet, "chat", localStore, nil, Stored, false, true, false},
	4:  {"bare, offline, no storage", romeo, juliet, "normal", localNoStore, nil, None, false, true, false},
	5:  {"bare, absent type, online", romeo, juliet, "", localStore, online, Direct, true, false, true},
	6:  {"bare, headline, online", romeo, juliet, "headline", localStore, []Resource{{"phone", 1}, {"laptop", 0}}, Direct, true, false, true},
	7:  {"bare, headline, offline", romeo, juliet, "headline", localStore, nil, None, false, true, false},
	8:  {"bare, groupchat, online", romeo, juliet, "groupchat", localStore, online, None, true, true, false},
	9:  {"full, resource online", romeo, julietPhone, "chat", localStore, online, Direct, true, true, false},
	10: {"full, resource online, negative priority", romeo, julietPhone, "chat", localStore, []Resource{{"phone", -3}, {"laptop", 2}}, Direct, true, true, false},
	11: {"full, other resource online", romeo, julietPhone, "chat", localStore, []Resource{{"laptop", 0}}, Direct, true, false, true},
	12: {"full, offline, storage", romeo, julietPhone, "chat", localStore, nil, Stored, false, false, false},
	13: {"full, offline, no storage", romeo, julietPhone, "chat", localNoStore, nil, None, false, false, false},
	14: {"full, headline, other online", romeo, julietPhone, "headline", localStore, []Resource{{"laptop", 0}}, None, true, false, false},
	15: {"full, groupchat, online", romeo, julietPhone, "groupchat", localStore, online, Direct, true, true, false},
	16: {"unknown account", romeo, juliet, "chat", Facts{Recipient: RecipientUnknown, OfflineStorage: true}, online, None, false, true, false},
	17: {"unknown account, full", romeo, julietPhone, "chat", Facts{Recipient: RecipientUnknown}, nil, None, false, false, false},
	18: {"remote", romeo, remoteJID, "chat", Facts{Recipient: RecipientRemote}, nil, Direct, false, false, false},
	19: {"remote, full", romeo, jid.MustParse("nurse@verona.example/balcony"), "chat", Facts{Recipient: RecipientRemote}, online, Direct, false, false, false},
	20: {"service", romeo, serviceJID, "groupchat", Facts{Recipient: RecipientService}, nil, Direct, false, false, false},
	21: {"self, bare, other resource", julietLaptop, juliet, "chat", localStore, []Resource{{"laptop", 0}, {"phone", 0}}, Direct, true, false, true},
	22: {"self, full", julietLaptop, julietPhone, "chat", localStore, []Resource{{"laptop", 0}, {"phone", 0}}, Direct, true, true, false},
	23: {"gateway", romeo, jid.MustParse("user@icq.capulet.lit"), "chat", Facts{Recipient: RecipientRemote, Gateway: true}, nil, Gateway, false, false, false},
	24: {"forwarded local", romeo, juliet, "chat", Facts{Recipient: RecipientLocal, Forwarded: true}, online, Forward, true, true, false},
}

// wantVerdict is what an action decides when its rule is met and the message is not held.
var wantVerdict = map[string]Verdict{"notify": Deliver, "alert": Discard, "error": Discard, "drop": Discard}

// TestEvaluateStates runs every condition × value × action against every recipient state.
// Each message has a single rule, so the decision is the rule's action exactly when its
// condition is met, and the default disposition otherwise.
func TestEvaluateStates(t *testing.T) {
	type condValue struct{ condition, value string }
	var cases []condValue
	for _, v := range KnownDeliverValues() {
		cases = append(cases, condValue{"deliver", v})
	}
	for _, v := range KnownMatchResourceValues() {
		cases = append(cases, condValue{"match-resource", v})
	}
	cases = append(cases,
		condValue{"expire-at", "2003-12-31T23:59:59.999Z"},       // past: met
		condValue{"expire-at", "2004-01-01T00:00:00Z"},           // now: met (on or after)
		condValue{"expire-at", "2004-01-01T00:00:00.000000001Z"}, // future: not met
	)
	for i, s := range recipientStates {
		for _, c := range cases {
			for _, action := range KnownActions() {
				name := fmt.Sprintf("%d/%s=%s/%s", i, c.condition, c.value, action)
				t.Run(name, func(t *testing.T) {
					m := request(s.typ, rule(action, c.condition, c.value))
					d := Decide(s.input(m), DefaultFeatures())
					if d.Err != nil {
						t.Fatalf("%s: unexpected error %v", s.name, d.Err)
					}
					var metWant bool
					switch c.condition {
					case "deliver":
						metWant = string(s.disposition) == c.value
					case "match-resource":
						metWant = map[string]bool{"any": s.any, "exact": s.exact, "other": s.othr}[c.value]
					case "expire-at":
						metWant = c.value != "2004-01-01T00:00:00.000000001Z"
					}
					want := Decision{Verdict: Deliver, Disposition: s.disposition, Met: -1}
					if metWant {
						want.Met, want.Action, want.Verdict = 0, action, wantVerdict[action]
					}
					if want.Verdict == Deliver && s.disposition == Stored && c.condition == "expire-at" {
						want.Verdict = Hold
					}
					if d.Verdict != want.Verdict || d.Met != want.Met || d.Action != want.Action || d.Disposition != want.Disposition {
						t.Errorf("%s: got %s met=%d %q (%s), want %s met=%d %q (%s)", s.name,
							d.Verdict, d.Met, d.Action, d.Disposition, want.Verdict, want.Met, want.Action, want.Disposition)
					}
				})
			}
		}
	}
}

// TestEvaluateRulesets covers what single rules cannot: order (D2), Hold and per-hop.
func TestEvaluateRulesets(t *testing.T) {
	const past, future = "2003-06-23T23:00:00Z", "2004-09-10T08:33:14Z"
	var (
		offline = recipientStates[3]
		onBare  = recipientStates[0]
		remote  = recipientStates[18]
	)
	perHop := func(m *amp.Message) *amp.Message { m.Amp.PerHop = attr("true"); return m }
	tests := [...]struct {
		state   recipientState
		m       *amp.Message
		verdict Verdict
		met     int
	}{
		// the first met rule decides, notify included (D2)
		0: {onBare, request("chat", rule("notify", "deliver", "direct"), rule("drop", "deliver", "direct")), Deliver, 0},
		1: {onBare, request("chat", rule("drop", "deliver", "stored"), rule("alert", "deliver", "direct"), rule("notify", "match-resource", "any")), Discard, 1},
		2: {onBare, request("chat", rule("notify", "expire-at", future), rule("error", "expire-at", past)), Discard, 1},
		3: {onBare, request("chat", rule("drop", "deliver", "stored"), rule("drop", "expire-at", future)), Deliver, -1},
		// Hold: stored + an expire-at rule, and the outcome would deliver
		4:  {offline, request("chat", rule("notify", "deliver", "stored"), rule("drop", "expire-at", future)), Hold, 0},
		5:  {offline, request("chat", rule("drop", "expire-at", future)), Hold, -1},
		6:  {offline, request("chat", rule("notify", "deliver", "stored")), Deliver, 0},
		7:  {offline, request("chat", rule("drop", "expire-at", past), rule("notify", "deliver", "stored")), Discard, 0},
		8:  {offline, request("chat", rule("alert", "deliver", "stored"), rule("drop", "expire-at", future)), Discard, 0},
		9:  {onBare, request("chat", rule("notify", "deliver", "direct"), rule("drop", "expire-at", future)), Deliver, 0},
		10: {recipientStates[4], request("chat", rule("drop", "expire-at", future)), Deliver, -1}, // none: nothing to hold
		// match-resource is skipped for remote recipients, per-hop or not (D5)
		11: {remote, perHop(request("chat", rule("error", "match-resource", "other"), rule("notify", "deliver", "direct"))), Deliver, 1},
		12: {remote, perHop(request("chat", rule("error", "match-resource", "any"), rule("drop", "match-resource", "exact"))), Deliver, -1},
		// per-hop changes nothing at a local recipient
		13: {onBare, perHop(request("chat", rule("error", "match-resource", "other"))), Discard, 0},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			d := Decide(tc.state.input(tc.m), DefaultFeatures())
			if d.Err != nil || d.Verdict != tc.verdict || d.Met != tc.met {
				t.Fatalf("got %s met=%d err=%v, want %s met=%d", d.Verdict, d.Met, d.Err, tc.verdict, tc.met)
			}
			wantAction := ""
			if tc.met >= 0 {
				wantAction = tc.m.Amp.Rules[tc.met].Action.Value
			}
			if d.Action != wantAction {
				t.Errorf("Action = %q, want %q", d.Action, wantAction)
			}
		})
	}
}

// TestExpireAtBoundary: met exactly at T and after, not a nanosecond before.
func TestExpireAtBoundary(t *testing.T) {
	T := time.Date(2004, 9, 10, 8, 33, 14, 250_000_000, time.UTC)
	for i, tc := range [...]struct {
		now time.Time
		met bool
	}{
		0: {T.Add(-time.Nanosecond), false},
		1: {T, true},
		2: {T.Add(time.Nanosecond), true},
		3: {T.Add(24 * time.Hour), true},
		4: {T.In(time.FixedZone("X", 3600)), true}, // the zone of now is irrelevant
	} {
		in := recipientStates[0].input(request("chat", rule("drop", "expire-at", "2004-09-10T08:33:14.25Z")))
		in.Now = tc.now
		if d := Decide(in, DefaultFeatures()); (d.Met == 0) != tc.met {
			t.Errorf("%d: now=%v met=%d, want met %t", i, tc.now, d.Met, tc.met)
		}
	}
}
