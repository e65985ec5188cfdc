package c2stest

// Matchers for Expect and ExpectNone. They compare attribute values exactly
// as received (a JID is not normalised: use the form the server sends).

// Named matches an element by local name: "message", "presence", "iq".
func Named(name string) func(Stanza) bool {
	return func(s Stanza) bool { return s.Name == name }
}

// WithID matches an element by its id attribute.
func WithID(id string) func(Stanza) bool {
	return func(s Stanza) bool { return s.ID == id }
}

// WithType matches an element by its type attribute ("" for none).
func WithType(typ string) func(Stanza) bool {
	return func(s Stanza) bool { return s.Type == typ }
}

// From matches an element whose from attribute is jid exactly.
func From(jid string) func(Stanza) bool {
	return func(s Stanza) bool { return s.From == jid }
}

// FromBare matches an element whose from attribute, without its resource, is
// the bare JID bare.
func FromBare(bare string) func(Stanza) bool {
	return func(s Stanza) bool { return Bare(s.From) == bare }
}

// WithChild matches an element with a direct child of namespace ns and local
// name local.
func WithChild(ns, local string) func(Stanza) bool {
	return func(s Stanza) bool { return s.Has(ns, local) }
}

// All matches an element that every one of matches matches.
func All(matches ...func(Stanza) bool) func(Stanza) bool {
	return func(s Stanza) bool {
		for _, m := range matches {
			if !m(s) {
				return false
			}
		}
		return true
	}
}

// Any matches every element.
func Any(Stanza) bool { return true }
