package resolver

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
	"pgregory.net/rapid"

	"github.com/ampd-xmpp/ampd/amp"
)

// Generators. Names are drawn from the valid ones and from near misses (case, unknown,
// empty, missing), so that every validation class occurs often.

var (
	genActionName    = rapid.SampledFrom([]string{"alert", "drop", "error", "notify", "Drop", "bounce", ""})
	genConditionName = rapid.SampledFrom([]string{"deliver", "expire-at", "match-resource", "Deliver", "deliver-at", ""})
	genAnyValue      = rapid.SampledFrom([]string{
		"direct", "stored", "none", "forward", "gateway", "any", "exact", "other", "Stored", "all", "",
		"2004-01-01T00:00:00Z", "2004-01-01T00:00:00.5+00:00", "2004-01-01T00:00:00+01:00", "2004-1-1T0:0:0Z",
	})
	genTime = rapid.Custom(func(t *rapid.T) time.Time {
		return time.Unix(rapid.Int64Range(1_040_000_000, 1_120_000_000).Draw(t, "unix"),
			rapid.Int64Range(0, 999_999_999).Draw(t, "ns")).UTC()
	})
)

// genAttr draws a present attribute from g, or sometimes a missing one.
func genAttr(g *rapid.Generator[string], label string) *rapid.Generator[amp.Attr] {
	return rapid.Custom(func(t *rapid.T) amp.Attr {
		if rapid.IntRange(0, 15).Draw(t, label+"-missing") == 0 {
			return amp.Attr{}
		}
		return attr(g.Draw(t, label))
	})
}

// genExpireAt draws a valid expire-at value in any of the accepted spellings.
var genExpireAt = rapid.Custom(func(t *rapid.T) string {
	at := genTime.Draw(t, "at")
	s := at.Format("2006-01-02T15:04:05")
	if digits := rapid.IntRange(0, 12).Draw(t, "digits"); digits > 0 {
		frac := fmt.Sprintf("%09d000", at.Nanosecond())
		s += "." + frac[:digits]
	}
	return s + rapid.SampledFrom([]string{"Z", "+00:00", "-00:00"}).Draw(t, "zone")
})

// genValidRule draws a rule that passes validation (given the presence policy allows it).
var genValidRule = rapid.Custom(func(t *rapid.T) amp.Rule {
	action := rapid.SampledFrom(KnownActions()).Draw(t, "action")
	switch rapid.IntRange(0, 2).Draw(t, "condition") {
	case 0:
		return rule(action, "deliver", rapid.SampledFrom(KnownDeliverValues()).Draw(t, "value"))
	case 1:
		return rule(action, "match-resource", rapid.SampledFrom(KnownMatchResourceValues()).Draw(t, "value"))
	default:
		return rule(action, "expire-at", genExpireAt.Draw(t, "value"))
	}
})

// genAnyRule draws any rule, valid or not.
var genAnyRule = rapid.Custom(func(t *rapid.T) amp.Rule {
	if rapid.Bool().Draw(t, "valid") {
		return genValidRule.Draw(t, "rule")
	}
	r := amp.Rule{
		Action:    genAttr(genActionName, "action").Draw(t, "action"),
		Condition: genAttr(genConditionName, "condition").Draw(t, "condition"),
		Value:     genAttr(genAnyValue, "value").Draw(t, "value"),
	}
	r.Raw = fmt.Appendf(nil, "<rule %v %v %v/>", r.Action, r.Condition, r.Value)
	return r
})

var genResources = rapid.Custom(func(t *rapid.T) []Resource {
	names := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"phone", "laptop", "tablet", "car"}), 0, 4, rapid.ID[string]).Draw(t, "names")
	out := make([]Resource, len(names))
	for i, n := range names {
		out[i] = Resource{Name: n, Priority: rapid.IntRange(-3, 3).Draw(t, "priority")}
	}
	return out
})

// genInput draws a recipient state and addresses for the given message.
func genInput(t *rapid.T, m *amp.Message) Input {
	to := rapid.SampledFrom([]jid.JID{juliet, julietPhone, remoteJID, serviceJID}).Draw(t, "to")
	from := rapid.SampledFrom([]jid.JID{romeo, julietLaptop}).Draw(t, "from")
	return Input{
		Message: m, From: from, To: to,
		Facts: Facts{
			Recipient:      RecipientKind(rapid.IntRange(0, 3).Draw(t, "recipient")),
			OfflineStorage: rapid.Bool().Draw(t, "storage"),
			Gateway:        rapid.IntRange(0, 7).Draw(t, "gateway") == 0,
			Forwarded:      rapid.IntRange(0, 7).Draw(t, "forwarded") == 0,
		},
		Available:          genResources.Draw(t, "available"),
		PresenceAuthorised: rapid.Bool().Draw(t, "authorised"),
		Now:                genTime.Draw(t, "now"),
	}
}

func genMessage(t *rapid.T, rules *rapid.Generator[amp.Rule]) *amp.Message {
	m := request(rapid.SampledFrom([]string{"", "chat", "normal", "headline", "groupchat"}).Draw(t, "type"),
		rapid.SliceOfN(rules, 0, 6).Draw(t, "rules")...)
	switch rapid.IntRange(0, 9).Draw(t, "per-hop") {
	case 0:
		m.Amp.PerHop = attr("true")
	case 1:
		m.Amp.PerHop = attr("maybe")
	}
	if rapid.IntRange(0, 19).Draw(t, "no-id") == 0 {
		m.ID = amp.Attr{}
	}
	return m
}

// TestPropertyExactlyOneOutcome: whatever the rules and the state, a decision is exactly one
// of refused, decided by one rule, or default.
func TestPropertyExactlyOneOutcome(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage(t, genAnyRule)
		d := Decide(genInput(t, m), DefaultFeatures())
		switch {
		case d.Err != nil:
			if d.Verdict != Discard || d.Met != -1 || d.Action != "" || d.Disposition != "" {
				t.Fatalf("refusal with more outcomes: %+v", d)
			}
		case d.Met >= 0:
			if d.Met >= len(m.Amp.Rules) || d.Action != m.Amp.Rules[d.Met].Action.Value {
				t.Fatalf("met rule %d does not exist or has another action: %+v", d.Met, d)
			}
			if want := wantVerdict[d.Action]; d.Verdict != want && !(want == Deliver && d.Verdict == Hold) {
				t.Fatalf("action %s gave verdict %s", d.Action, d.Verdict)
			}
		default:
			if d.Met != -1 || d.Action != "" || (d.Verdict != Deliver && d.Verdict != Hold) {
				t.Fatalf("no rule met but %+v", d)
			}
		}
		if d.Verdict == Hold && d.Disposition != Stored {
			t.Fatalf("held a message whose disposition is %s", d.Disposition)
		}
	})
}

// TestPropertyFirstMetRuleDecides: the decision is the first rule that is met on its own,
// and rules after it change nothing.
func TestPropertyFirstMetRuleDecides(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage(t, genValidRule)
		m.ID, m.Amp.PerHop = attr("m1"), amp.Attr{}
		if len(m.Amp.Rules) == 0 {
			m.Amp.Rules = append(m.Amp.Rules, genValidRule.Draw(t, "rule"))
		}
		in := genInput(t, m)
		in.PresenceAuthorised = true
		d := Decide(in, DefaultFeatures())
		if d.Err != nil {
			t.Fatalf("valid rules refused: %v", d.Err)
		}
		first := -1
		for i, r := range m.Amp.Rules {
			alone := in
			alone.Message = request(m.Type.Value, r)
			if Decide(alone, DefaultFeatures()).Met == 0 {
				first = i
				break
			}
		}
		if d.Met != first {
			t.Fatalf("met rule %d, but the first rule met on its own is %d", d.Met, first)
		}
		if first < 0 {
			return
		}
		extended := in
		extended.Message = request(m.Type.Value, append(slices.Clone(m.Amp.Rules[:first+1]),
			rapid.SliceOfN(genValidRule, 1, 4).Draw(t, "more")...)...)
		// Only Deliver may become Hold: an added expire-at rule on a stored message.
		e := Decide(extended, DefaultFeatures())
		if e.Met != d.Met || e.Action != d.Action ||
			e.Verdict != d.Verdict && !(d.Verdict == Deliver && e.Verdict == Hold) {
			t.Fatalf("rules after the met one changed %+v into %+v", d, e)
		}
	})
}

var utcDateTimeShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-]00:00)$`)

// oracleClasses classifies one rule straight from the wording of amp-semantics §2 with the
// default features, independently of the implementation.
func oracleClasses(r amp.Rule, perHopInvalid, guarded bool) (unsupportedAction, unsupportedCondition, invalid bool) {
	actions := map[string]bool{"alert": true, "drop": true, "error": true, "notify": true}
	values := map[string]map[string]bool{
		"deliver":        {"direct": true, "stored": true, "none": true, "forward": true, "gateway": true},
		"match-resource": {"any": true, "exact": true, "other": true},
	}
	a, c, v := r.Action.Value, r.Condition.Value, r.Value.Value
	unsupportedAction = a != "" && !actions[a]
	unsupportedCondition = c != "" && c != "expire-at" && values[c] == nil
	invalid = a == "" || c == "" || v == "" || perHopInvalid
	if c == "expire-at" {
		// The generators only produce dates that exist, so the shape decides.
		invalid = invalid || !utcDateTimeShape.MatchString(v)
	} else if values[c] != nil && !values[c][v] {
		invalid = true
	}
	if guarded && (c == "deliver" || c == "expire-at" || c == "match-resource") && a != "drop" {
		invalid = true
	}
	return
}

// TestPropertyValidationListsEveryOffendingRule: the reported class is the one of highest
// precedence that occurs, and it lists every rule of that class in document order.
func TestPropertyValidationListsEveryOffendingRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage(t, genAnyRule)
		m.ID = attr("m1")
		if len(m.Amp.Rules) == 0 {
			return
		}
		in := genInput(t, m)
		guarded := (in.Facts.Recipient == RecipientLocal || in.Facts.Recipient == RecipientUnknown) &&
			!in.PresenceAuthorised && !in.From.Bare().Equal(in.To.Bare())
		perHopInvalid := m.Amp.PerHop.Present && m.Amp.PerHop.Value == "maybe"
		var ua, uc, iv []amp.Rule
		for _, r := range m.Amp.Rules {
			a, c, i := oracleClasses(r, perHopInvalid, guarded)
			if a {
				ua = append(ua, r)
			}
			if c {
				uc = append(uc, r)
			}
			if i {
				iv = append(iv, r)
			}
		}
		var wantApp string
		var want []amp.Rule
		switch {
		case ua != nil:
			wantApp, want = "unsupported-actions", ua
		case uc != nil:
			wantApp, want = "unsupported-conditions", uc
		case iv != nil:
			wantApp, want = "invalid-rules", iv
		}
		err := Validate(in, DefaultFeatures())
		if wantApp == "" {
			if err != nil {
				t.Fatalf("refused %v, oracle accepts", err)
			}
			return
		}
		if err == nil || err.App != wantApp || !reflect.DeepEqual(err.Rules, want) {
			t.Fatalf("got %v listing %d rules, want %s listing %d", err, rulesLen(err), wantApp, len(want))
		}
	})
}

func rulesLen(e *amp.Error) int {
	if e == nil {
		return 0
	}
	return len(e.Rules)
}

// TestPropertyRefusalIgnoresPresence: validation, and so the policy refusal, is the same
// whatever the recipient's available resources are.
func TestPropertyRefusalIgnoresPresence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t, genMessage(t, genAnyRule))
		other := in
		other.Available = genResources.Draw(t, "other-available")
		a, b := Decide(in, DefaultFeatures()).Err, Decide(other, DefaultFeatures()).Err
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("refusal depends on presence: %v vs %v", a, b)
		}
	})
}

// TestPropertyExpireAtMonotonic: once an expire-at rule is met at t, it is met at every
// later t'.
func TestPropertyExpireAtMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t, request("chat", rule("drop", "expire-at", genExpireAt.Draw(t, "at"))))
		in.PresenceAuthorised = true
		later := in
		later.Now = in.Now.Add(time.Duration(rapid.Int64Range(0, int64(400*24*time.Hour)).Draw(t, "delta")))
		if Decide(in, DefaultFeatures()).Met == 0 && Decide(later, DefaultFeatures()).Met != 0 {
			t.Fatalf("met at %v but not at %v", in.Now, later.Now)
		}
	})
}

// TestPropertyDropDiscards: a met drop rule always discards the message.
func TestPropertyDropDiscards(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := Decide(genInput(t, genMessage(t, genAnyRule)), DefaultFeatures())
		if d.Action == "drop" && d.Verdict != Discard {
			t.Fatalf("drop met but verdict %s", d.Verdict)
		}
	})
}

// genRawRequest draws the raw bytes of an AMP request to to, with a body and a payload that
// carry secret marks no reply may contain.
func genRawRequest(t *rapid.T, to jid.JID) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<message xmlns='jabber:client' from='%s' to='%s' id='m1' type='%s'>",
		rapid.SampledFrom([]string{romeo.String(), julietLaptop.String()}).Draw(t, "from"), to,
		rapid.SampledFrom([]string{"chat", "normal", "headline", "groupchat"}).Draw(t, "type"))
	b.WriteString("<body>SECRET-BODY</body><x xmlns='urn:example:payload'>SECRET-PAYLOAD</x>")
	b.WriteString("<amp xmlns='http://jabber.org/protocol/amp'>")
	for _, r := range rapid.SliceOfN(genAnyRule, 1, 5).Draw(t, "rules") {
		b.WriteString("<rule")
		for _, a := range [...]struct {
			name string
			v    amp.Attr
		}{{"action", r.Action}, {"condition", r.Condition}, {"value", r.Value}} {
			if a.v.Present {
				fmt.Fprintf(&b, " %s='%s'", a.name, a.v.Value)
			}
		}
		b.WriteString("/>")
	}
	b.WriteString("</amp></message>")
	return []byte(b.String())
}

// TestPropertyReplies: drop and "no rule met" never reply; every reply is addressed to the
// sender and carries nothing of the body or payload; a refusal's reply is byte for byte the
// same whatever the recipient's presence.
func TestPropertyReplies(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		to := rapid.SampledFrom([]jid.JID{juliet, julietPhone, remoteJID, serviceJID}).Draw(t, "to")
		raw := genRawRequest(t, to)
		var m amp.Message
		if err := amp.ParseMessage(raw, &m); err != nil {
			t.Fatalf("generated request does not parse: %v\n%s", err, raw)
		}
		in := genInput(t, &m)
		in.From, in.To = jid.MustParse(m.From.Value), to
		d := Decide(in, DefaultFeatures())
		reply := Reply(in, d, "capulet.lit")
		switch {
		case d.Err == nil && (d.Met < 0 || d.Action == "drop"):
			if reply != nil {
				t.Fatalf("%+v replied %s", d, reply)
			}
			return
		case reply == nil:
			t.Fatalf("%+v owes a reply but got none", d)
		}
		if bytes.Contains(reply, []byte("SECRET")) {
			t.Fatalf("reply leaks the original payload: %s", reply)
		}
		if !bytes.Contains(reply, []byte("to='"+m.From.Value+"'")) {
			t.Fatalf("reply not addressed to the sender %s: %s", m.From.Value, reply)
		}
		if d.Err != nil {
			other := in
			other.Available = genResources.Draw(t, "other-available")
			if r2 := Reply(other, Decide(other, DefaultFeatures()), "capulet.lit"); !bytes.Equal(reply, r2) {
				t.Fatalf("refusal depends on presence:\n%s\n%s", reply, r2)
			}
		}
	})
}
