package resolver

import (
	"strconv"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
)

// wantErr describes an expected validation error: its condition, code, AMP child and the
// indexes (into the message's rules) of the rules it must list, in order.
type wantErr struct {
	condition, code, app string
	rules                []int
}

var (
	unsupportedActions    = wantErr{condition: "bad-request", code: "400", app: "unsupported-actions"}
	unsupportedConditions = wantErr{condition: "bad-request", code: "400", app: "unsupported-conditions"}
	invalidRules          = wantErr{condition: "not-acceptable", code: "406", app: "invalid-rules"}
	badRequest            = wantErr{condition: "bad-request", code: "400"}
)

func (w wantErr) listing(rules ...int) *wantErr { w.rules = rules; return &w }

func checkErr(t *testing.T, got *amp.Error, want *wantErr, m *amp.Message) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Fatalf("error %v (rules %d), want none", got, len(got.Rules))
		}
		return
	}
	if got == nil {
		t.Fatalf("no error, want %s/%s", want.condition, want.app)
	}
	if got.Type != "modify" || got.Condition != want.condition || got.Code != want.code || got.App != want.app {
		t.Fatalf("error %+v, want modify %s %s %s", got, want.code, want.condition, want.app)
	}
	if want.app == "" && got.Text == "" {
		t.Errorf("a bad-request without AMP child must say why in its text")
	}
	if len(got.Rules) != len(want.rules) {
		t.Fatalf("error lists %d rules, want %v", len(got.Rules), want.rules)
	}
	for i, ri := range want.rules {
		if string(got.Rules[i].Raw) != string(m.Amp.Rules[ri].Raw) {
			t.Errorf("listed rule %d = %s, want rule %d %s", i, got.Rules[i].Raw, ri, m.Amp.Rules[ri].Raw)
		}
	}
}

func TestValidate(t *testing.T) {
	only := func(actions, conditions, deliver, match []string) Features {
		f, err := newFeatures(actions, conditions, deliver, match)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	all := DefaultFeatures()
	noExpire := only(KnownActions(), []string{"deliver", "match-resource"}, KnownDeliverValues(), KnownMatchResourceValues())
	noAlert := only([]string{"drop", "error", "notify"}, KnownConditions(), KnownDeliverValues(), KnownMatchResourceValues())
	noStoredOther := only(KnownActions(), KnownConditions(), []string{"direct", "none", "forward", "gateway"}, []string{"any", "exact"})

	missing := func(r amp.Rule, which string) amp.Rule {
		switch which {
		case "action":
			r.Action = amp.Attr{}
		case "condition":
			r.Condition = amp.Attr{}
		case "value":
			r.Value = amp.Attr{}
		}
		return r
	}
	withID := func(m *amp.Message, id amp.Attr) *amp.Message { m.ID = id; return m }
	withPerHop := func(m *amp.Message, v string) *amp.Message { m.Amp.PerHop = attr(v); return m }

	var (
		ok1   = rule("drop", "deliver", "stored")
		ok2   = rule("notify", "expire-at", "2004-01-01T00:00:00Z")
		ok3   = rule("alert", "match-resource", "other")
		badA  = rule("bounce", "deliver", "stored")
		badA2 = rule("Drop", "deliver", "stored")
		badC  = rule("drop", "deliver-at", "stored")
		badC2 = rule("drop", "EXPIRE-AT", "2004-01-01T00:00:00Z")
		badV  = rule("drop", "deliver", "offline")
		badV2 = rule("drop", "match-resource", "all")
		badT  = rule("drop", "expire-at", "2004-01-01T00:00:00+01:00")
	)
	tests := [...]struct {
		m          *amp.Message
		f          Features
		authorised bool
		want       *wantErr
	}{
		0: {m: request("chat", ok1, ok2, ok3), f: all, authorised: true},
		// message level (Decision D1, empty ruleset)
		1: {m: withID(request("chat", ok1), amp.Attr{}), f: all, want: &badRequest},
		2: {m: withID(request("chat", ok1), attr("")), f: all, want: &badRequest},
		3: {m: request("chat"), f: all, want: &badRequest},
		4: {m: withID(request("chat", badA), amp.Attr{}), f: all, want: &badRequest}, // id before rules
		// unsupported actions: unknown names (case-sensitive) and disabled ones
		5: {m: request("chat", badA, ok1, badA2), f: all, want: unsupportedActions.listing(0, 2)},
		6: {m: request("chat", ok1, ok3), f: noAlert, authorised: true, want: unsupportedActions.listing(1)},
		// unsupported conditions
		7: {m: request("chat", badC, ok1, badC2), f: all, want: unsupportedConditions.listing(0, 2)},
		8: {m: request("chat", ok2, ok1, ok2), f: noExpire, authorised: true, want: unsupportedConditions.listing(0, 2)},
		// invalid rules: values
		9:  {m: request("chat", badV, ok1, badV2, badT), f: all, want: invalidRules.listing(0, 2, 3)},
		10: {m: request("chat", rule("drop", "deliver", "stored"), rule("drop", "match-resource", "other")), f: noStoredOther, want: invalidRules.listing(0, 1)},
		11: {m: request("chat", rule("drop", "deliver", "Stored")), f: all, want: invalidRules.listing(0)},
		12: {m: request("chat", rule("drop", "expire-at", "2004-1-01T00:00:00Z")), f: all, want: invalidRules.listing(0)},
		// invalid rules: missing or empty attributes
		13: {m: request("chat", missing(ok1, "action"), ok1, rule("", "deliver", "stored")), f: all, want: invalidRules.listing(0, 2)},
		14: {m: request("chat", missing(ok1, "condition"), rule("drop", "", "stored")), f: all, want: invalidRules.listing(0, 1)},
		15: {m: request("chat", ok1, missing(ok1, "value"), rule("drop", "deliver", "")), f: all, want: invalidRules.listing(1, 2)},
		// per-hop
		16: {m: withPerHop(request("chat", ok1, ok2), "true"), f: all, authorised: true},
		17: {m: withPerHop(request("chat", ok1), "false"), f: all},
		18: {m: withPerHop(request("chat", ok1), "1"), f: all},
		19: {m: withPerHop(request("chat", ok1), "0"), f: all},
		20: {m: withPerHop(request("chat", ok1, ok2), "yes"), f: all, authorised: true, want: invalidRules.listing(0, 1)},
		21: {m: withPerHop(request("chat", ok1), "True"), f: all, want: invalidRules.listing(0)},
		22: {m: withPerHop(request("chat", ok1), ""), f: all, want: invalidRules.listing(0)},
		// precedence: unsupported-actions, then unsupported-conditions, then invalid-rules
		23: {m: request("chat", badV, badC, badA, ok1, badA2), f: all, want: unsupportedActions.listing(2, 4)},
		24: {m: request("chat", badV, badC, ok1, badC2), f: all, want: unsupportedConditions.listing(1, 3)},
		25: {m: withPerHop(request("chat", badC, ok1), "maybe"), f: all, want: unsupportedConditions.listing(0)},
		26: {m: request("chat", rule("bounce", "deliver-at", "x")), f: all, want: unsupportedActions.listing(0)},
		27: {m: request("chat", rule("", "deliver-at", "x"), badA), f: all, want: unsupportedActions.listing(1)},
		28: {m: request("chat", rule("", "deliver-at", "x"), ok1), f: all, want: unsupportedConditions.listing(0)},
		// presence policy (§9): only drop is acceptable from a stranger
		29: {m: request("chat", ok1, ok2, ok3, rule("error", "deliver", "none")), f: all, want: invalidRules.listing(1, 2, 3)},
		30: {m: request("chat", ok1, rule("drop", "match-resource", "any"), rule("drop", "expire-at", "2004-01-01T00:00:00Z")), f: all},
		31: {m: request("chat", badA, ok2), f: all, want: unsupportedActions.listing(0)},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			in := local(tc.m)
			in.PresenceAuthorised = tc.authorised
			checkErr(t, Validate(in, tc.f), tc.want, tc.m)
			// Decide refuses exactly what Validate refuses, discarding the message.
			d := Decide(in, tc.f)
			checkErr(t, d.Err, tc.want, tc.m)
			if tc.want != nil && (d.Verdict != Discard || d.Met != -1 || d.Action != "" || d.Disposition != "" || d.Destinations != nil) {
				t.Errorf("refused message decided %+v, want a bare discard", d)
			}
		})
	}
}

// TestPresencePolicy is the §9 matrix: who may use presence-revealing rules with which
// actions, for each kind of recipient.
func TestPresencePolicy(t *testing.T) {
	revealing := []amp.Rule{
		rule("notify", "deliver", "stored"),
		rule("alert", "match-resource", "any"),
		rule("error", "expire-at", "2004-01-01T00:00:00Z"),
	}
	julietLaptop := jid.MustParse("juliet@capulet.lit/laptop")
	tests := [...]struct {
		from, to   jid.JID
		recipient  RecipientKind
		authorised bool
		refused    bool
	}{
		0:  {romeo, juliet, RecipientLocal, false, true},
		1:  {romeo, julietPhone, RecipientLocal, false, true},
		2:  {romeo, juliet, RecipientLocal, true, false},
		3:  {romeo, juliet, RecipientUnknown, false, true}, // like a stranger: existence stays hidden
		4:  {romeo, juliet, RecipientUnknown, true, false},
		5:  {julietLaptop, juliet, RecipientLocal, false, false}, // own bare JID
		6:  {julietLaptop, julietPhone, RecipientLocal, false, false},
		7:  {juliet, julietPhone, RecipientLocal, false, false},
		8:  {romeo, remoteJID, RecipientRemote, false, false},
		9:  {romeo, serviceJID, RecipientService, false, false},
		10: {jid.MustParse("juliet@capulet.lit.example/x"), juliet, RecipientLocal, false, true},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			m := request("chat", append([]amp.Rule{rule("drop", "deliver", "none")}, revealing...)...)
			in := local(m)
			in.From, in.To, in.Facts.Recipient, in.PresenceAuthorised = tc.from, tc.to, tc.recipient, tc.authorised
			var want *wantErr
			if tc.refused {
				want = invalidRules.listing(1, 2, 3)
			}
			for _, available := range [][]Resource{nil, online, {{"laptop", 3}, {"phone", -1}}} {
				in.Available = available
				checkErr(t, Validate(in, DefaultFeatures()), want, m)
			}
		})
	}
}
