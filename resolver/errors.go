package resolver

import "github.com/ampd-xmpp/ampd/amp"

// The validation errors of amp-semantics §2. They are built here until package amp provides
// constructors for them.
func errMissingID() *amp.Error {
	return &amp.Error{Type: "modify", Code: "400", Condition: "bad-request",
		Text: "an AMP message requires an id"}
}

func errEmptyRuleset() *amp.Error {
	return &amp.Error{Type: "modify", Code: "400", Condition: "bad-request",
		Text: "an amp element requires at least one rule"}
}

func errUnsupportedActions(rules []amp.Rule) *amp.Error {
	return &amp.Error{Type: "modify", Code: "400", Condition: "bad-request",
		App: "unsupported-actions", Rules: rules}
}

func errUnsupportedConditions(rules []amp.Rule) *amp.Error {
	return &amp.Error{Type: "modify", Code: "400", Condition: "bad-request",
		App: "unsupported-conditions", Rules: rules}
}

func errInvalidRules(rules []amp.Rule) *amp.Error {
	return &amp.Error{Type: "modify", Code: "406", Condition: "not-acceptable",
		App: "invalid-rules", Rules: rules}
}
