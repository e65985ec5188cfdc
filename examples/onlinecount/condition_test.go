package onlinecount

import (
	"slices"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/resolver"
)

func attr(v string) amp.Attr { return amp.Attr{Value: v, Present: true} }

func input(value, action string, available ...resolver.Resource) resolver.Input {
	rule := amp.Rule{Action: attr(action), Condition: attr(Name), Value: attr(value)}
	return resolver.Input{
		Message:            &amp.Message{ID: attr("m1"), From: attr("romeo@montague.lit/orchard"), To: attr("juliet@capulet.lit"), Amp: &amp.Element{Rules: []amp.Rule{rule}}},
		From:               jid.MustParse("romeo@montague.lit/orchard"),
		To:                 jid.MustParse("juliet@capulet.lit"),
		Facts:              resolver.Facts{Recipient: resolver.RecipientLocal, OfflineStorage: true},
		Available:          available,
		PresenceAuthorised: true,
	}
}

// Registering the condition is enough for the configuration to enable and validate it.
func TestConfiguration(t *testing.T) {
	if !slices.Contains(config.Default().AMP.Conditions, Name) {
		t.Errorf("amp.conditions defaults to %q, without %s", config.Default().AMP.Conditions, Name)
	}
	const base = "[component]\naddress = \"127.0.0.1:5347\"\ndomain = \"amp.localhost\"\nsecret = \"s\"\n[server]\nhosts = [\"localhost\"]\n"
	if _, err := config.Parse([]byte(base + "[amp]\nconditions = [\"" + Name + "\"]\n")); err != nil {
		t.Errorf("amp.conditions = [%q]: %v", Name, err)
	}
	if _, err := config.Parse([]byte(base + "[amp]\nconditions = [\"x-unknown\"]\n")); err == nil {
		t.Error("an unregistered condition was accepted")
	}
}

// It is announced when enabled, and only then.
func TestDisco(t *testing.T) {
	feature := amp.NS + "?condition=" + Name
	if !slices.Contains(resolver.DefaultFeatures().Disco(), feature) {
		t.Errorf("%s not announced by default", feature)
	}
	f, err := resolver.NewFeatures([]string{"alert"}, []string{"deliver"}, map[string][]string{"deliver": {"direct"}})
	if err != nil || slices.Contains(f.Disco(), feature) {
		t.Errorf("announced although not enabled (%v)", err)
	}
}

func TestDecide(t *testing.T) {
	pc := resolver.Resource{Name: "pc"}
	tests := []struct {
		in      resolver.Input
		verdict resolver.Verdict
		met     int
		err     string // the refusal's class, "" for none
	}{
		{in: input("0", "alert"), verdict: resolver.Discard, met: 0},
		{in: input("1", "alert", pc), verdict: resolver.Discard, met: 0},
		{in: input("1", "alert"), verdict: resolver.Deliver, met: -1},
		{in: input("2", "notify", pc, pc), verdict: resolver.Deliver, met: 0},
		{in: input("many", "alert"), verdict: resolver.Discard, met: -1, err: amp.AppInvalidRules},
		{in: input("-1", "alert"), verdict: resolver.Discard, met: -1, err: amp.AppInvalidRules},
	}
	for i, tc := range tests {
		d := resolver.Decide(tc.in, resolver.DefaultFeatures())
		class := ""
		if d.Err != nil {
			class = d.Err.Class()
		}
		if d.Verdict != tc.verdict || d.Met != tc.met || class != tc.err {
			t.Errorf("%d: %s met %d err %q, want %s met %d err %q", i, d.Verdict, d.Met, class, tc.verdict, tc.met, tc.err)
		}
	}
}

// It reveals presence: the §9 policy guards it, and a silent action is not guarded.
func TestPresencePolicy(t *testing.T) {
	p := resolver.Policy{Features: resolver.DefaultFeatures(), Presence: resolver.PresenceRoster}
	req := &resolver.Request{Input: input("0", "alert"), Host: "capulet.lit"}
	if o := resolver.Resolve(req, resolver.Answers{}, &p, nil); o.Need != resolver.NeedRoster {
		t.Fatalf("a stranger's rule did not ask for the roster: %+v", o)
	}
	o := resolver.Resolve(req, resolver.Answers{Roster: resolver.RosterAnswer{Known: true}}, &p, nil)
	if o.Decision.Err == nil || o.Decision.Err.Class() != amp.AppInvalidRules {
		t.Errorf("a stranger's rule was judged: %+v", o)
	}
	req = &resolver.Request{Input: input("0", "drop"), Host: "capulet.lit"}
	if o := resolver.Resolve(req, resolver.Answers{}, &p, nil); o.Need != resolver.NeedNothing || o.Verdict != resolver.Discard {
		t.Errorf("a drop rule was guarded: %+v", o)
	}
}
