package resolver

import "time"

// Situation is what a condition is judged on (amp-semantics §4): the recipient as the server
// module and the presence table describe it, and where the message would go without AMP.
type Situation struct {
	Recipient RecipientKind
	// Available lists the recipient's available resources at receipt (none for an unknown
	// account, whatever the caller passed).
	Available []Resource
	Now       time.Time
	// Full says that the message is addressed to a full JID, Resource which one.
	Full     bool
	Resource string
	fb       fallback
}

// Disposition is the message's default disposition (§3).
func (s Situation) Disposition() Disposition { return s.fb.disposition }

// Reaches reports whether the message would go to available resource r without AMP.
func (s Situation) Reaches(r Resource) bool { return s.fb.reaches(r) }
