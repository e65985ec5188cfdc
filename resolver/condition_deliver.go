package resolver

// deliver is met when the message's default disposition is the value (amp-semantics §4):
// direct, stored, none, forward or gateway. For a remote or service recipient the
// disposition is gateway when the next hop says it is one, so the condition needs the next
// hop's disco#info there.
func init() {
	RegisterCondition(Condition{
		Name:            "deliver",
		Values:          []string{string(Direct), string(Stored), string(None), string(Forward), string(Gateway)},
		ValuesKey:       "deliver_values",
		RevealsPresence: true,
		NeedsNextHop:    true,
		Met:             func(value string, s Situation) bool { return string(s.Disposition()) == value },
	})
}
