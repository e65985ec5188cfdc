package amp

// Error is a stanza-level AMP error. It is both a Go error value and the description of the
// error reply sent to the original sender (amp-semantics §2, §5, §8).
type Error struct {
	Type      string // "modify" or "cancel"
	Code      string // legacy code: "400", "406", "500", "503"
	Condition string // stanza condition (urn:ietf:params:xml:ns:xmpp-stanzas): "bad-request", …
	Text      string // optional human-readable <text/>
	// App is the AMP-specific child: "unsupported-actions", "unsupported-conditions",
	// "invalid-rules" (namespace NS) or "failed-rules" (namespace NSErrors); "" for none.
	App string
	// Rules are the rules listed inside App, in document order.
	Rules []Rule
}

func (e *Error) Error() string {
	s := "amp: " + e.Condition
	if e.App != "" {
		s += " (" + e.App + ")"
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}
