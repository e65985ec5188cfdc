package resolver

// drop: a met rule discards the message without a word to the sender (XEP-0079 §3.4.2), so
// the rule reveals nothing and the §9 presence policy does not guard it.
func init() { RegisterAction(Action{Name: "drop", Silent: true}) }
