package resolver

import (
	"fmt"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
)

// situation is what the conditions of in are judged on.
func situation(in Input, fb fallback, full bool, resource string) Situation {
	s := Situation{Recipient: in.Facts.Recipient, Available: in.Available, Now: in.Now, Full: full, Resource: resource, fb: fb}
	if s.Recipient == RecipientUnknown {
		s.Available = nil // no such account, no resources, whatever the caller passed
	}
	return s
}

// firstMet returns the index of the first rule whose condition is met, -1 if none: the first
// met rule decides, whatever its action (Decision D2). The rules are valid.
func firstMet(rules []amp.Rule, s Situation) int {
	for i, r := range rules {
		if c := conditionIndex(r.Condition.Value); c >= 0 && conditions[c].Met(r.Value.Value, s) {
			return i
		}
	}
	return -1
}

// hasDeadline reports whether a rule's condition has a deadline (expire-at): a stored
// message with one is held by ampd, because a server's offline store cannot wake for it.
func hasDeadline(rules []amp.Rule) bool {
	for _, r := range rules {
		if c := conditionIndex(r.Condition.Value); c >= 0 && conditions[c].Deadline != nil {
			return true
		}
	}
	return false
}

// RuleDeadline is the deadline of one rule of a held message.
type RuleDeadline struct {
	Rule int // index in the message's rules
	At   time.Time
}

// Deadlines returns the deadlines of rules, in document order, for the store of held
// messages; the error names the first rule whose value has no valid deadline.
func Deadlines(rules []amp.Rule) ([]RuleDeadline, error) {
	var out []RuleDeadline
	for i, r := range rules {
		c := conditionIndex(r.Condition.Value)
		if c < 0 || conditions[c].Deadline == nil {
			continue
		}
		at, ok := conditions[c].Deadline(r.Value.Value)
		if !ok {
			return nil, fmt.Errorf("resolver: rule %d: %s value %q is no deadline", i, r.Condition.Value, r.Value.Value)
		}
		out = append(out, RuleDeadline{Rule: i, At: at})
	}
	return out, nil
}
