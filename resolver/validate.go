package resolver

import "github.com/ampd-xmpp/ampd/amp"

// ruleFault is the set of validation classes one rule falls into. A rule can be in several
// (an unknown action and an empty value); only the class with the highest precedence that
// any rule of the message is in gets reported (Decision D6).
type ruleFault uint8

const (
	faultUnsupportedAction ruleFault = 1 << iota
	faultUnsupportedCondition
	faultInvalid
)

// Validate checks an AMP request against the enabled features and the §9 presence policy
// (amp-semantics §2, §6) and returns the error the sender is owed, or nil.
//
// The checks, in order of precedence: a missing or empty message id (Decision D1); an <amp/>
// without rules; then the rule classes unsupported-actions, unsupported-conditions and
// invalid-rules, each reported with every offending rule of that class in document order.
//
// Validate reads only the message, the sender and recipient addresses, the recipient kind and
// PresenceAuthorised — never Available or Now — so a refusal reveals nothing of the
// recipient's presence.
func Validate(in Input, f Features) *amp.Error {
	m := in.Message
	if m == nil || !m.ID.Present || m.ID.Value == "" {
		return amp.MissingID()
	}
	if m.Amp == nil || len(m.Amp.Rules) == 0 {
		return amp.EmptyRuleset()
	}
	everyRuleInvalid := m.Amp.PerHop.Present && !validPerHop(m.Amp.PerHop.Value)
	guarded := presenceGuarded(in)

	var all ruleFault
	for _, r := range m.Amp.Rules {
		all |= checkRule(r, &f, guarded)
	}
	if everyRuleInvalid {
		all |= faultInvalid
	}
	if all == 0 {
		return nil // the common path: no allocation
	}

	class := reportedClass(all)
	var offending []amp.Rule
	for _, r := range m.Amp.Rules {
		if everyRuleInvalid && class == faultInvalid || checkRule(r, &f, guarded)&class != 0 {
			offending = append(offending, r)
		}
	}
	switch class {
	case faultUnsupportedAction:
		return amp.UnsupportedActions(offending)
	case faultUnsupportedCondition:
		return amp.UnsupportedConditions(offending)
	default:
		return amp.InvalidRules(offending)
	}
}

// reportedClass picks the class of highest precedence present in all (Decision D6).
func reportedClass(all ruleFault) ruleFault {
	switch {
	case all&faultUnsupportedAction != 0:
		return faultUnsupportedAction
	case all&faultUnsupportedCondition != 0:
		return faultUnsupportedCondition
	default:
		return faultInvalid
	}
}

func validPerHop(v string) bool {
	return v == "true" || v == "false" || v == "1" || v == "0"
}

// checkRule returns every class rule r falls into. guarded is the result of presenceGuarded.
func checkRule(r amp.Rule, f *Features, guarded bool) ruleFault {
	var fault ruleFault

	action := actionIndex(r.Action.Value)
	if !r.Action.Present || r.Action.Value == "" {
		fault |= faultInvalid
	} else if !f.actions.has(action) {
		fault |= faultUnsupportedAction
	}

	condition := conditionIndex(r.Condition.Value)
	if !r.Condition.Present || r.Condition.Value == "" {
		fault |= faultInvalid
	} else if !f.conditions.has(condition) {
		fault |= faultUnsupportedCondition
	}

	if !f.validValue(condition, r.Value) {
		fault |= faultInvalid
	}

	if guarded && asksPresence(condition, action) {
		fault |= faultInvalid
	}
	return fault
}
