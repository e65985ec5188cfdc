package resolver

import (
	"fmt"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
)

// Test helpers that build parsed messages directly, so that the resolver is tested
// independently of the parser.

func attr(v string) amp.Attr { return amp.Attr{Value: v, Present: true} }

// rule builds a rule with all three attributes present.
func rule(action, condition, value string) amp.Rule {
	return amp.Rule{
		Action: attr(action), Condition: attr(condition), Value: attr(value),
		Raw: fmt.Appendf(nil, "<rule action='%s' condition='%s' value='%s'/>", action, condition, value),
	}
}

// request builds an AMP request with id "m1" and the given type ("" for absent).
func request(typ string, rules ...amp.Rule) *amp.Message {
	m := &amp.Message{ID: attr("m1"), Amp: &amp.Element{Rules: rules}}
	if typ != "" {
		m.Type = attr(typ)
	}
	return m
}

var (
	juliet      = jid.MustParse("juliet@capulet.lit")
	julietPhone = jid.MustParse("juliet@capulet.lit/phone")
	romeo       = jid.MustParse("romeo@montague.lit/orchard")
	remoteJID   = jid.MustParse("nurse@verona.example")
	serviceJID  = jid.MustParse("chat.capulet.lit")
	t2004       = time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC)
)

// online is the recipient's available resources in the common case: one phone, priority 0.
var online = []Resource{{Name: "phone", Priority: 0}}

// local is an input for Romeo (authorised to see presence) writing to Juliet's bare JID.
func local(m *amp.Message, available ...Resource) Input {
	return Input{
		Message: m, From: romeo, To: juliet,
		Facts:              Facts{Recipient: RecipientLocal, OfflineStorage: true},
		Available:          available,
		PresenceAuthorised: true,
		Now:                t2004,
	}
}

func conditionValues(name string) []string {
	c, _ := LookupCondition(name)
	return c.Values
}

func KnownDeliverValues() []string       { return conditionValues("deliver") }
func KnownMatchResourceValues() []string { return conditionValues("match-resource") }

// newFeatures is NewFeatures with the two configurable value lists of XEP-0079.
func newFeatures(actions, conditions, deliver, match []string) (Features, error) {
	return NewFeatures(actions, conditions, map[string][]string{"deliver": deliver, "match-resource": match})
}
