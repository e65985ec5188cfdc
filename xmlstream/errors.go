package xmlstream

import (
	"errors"
	"fmt"
)

// ErrRestrictedXML is returned when the stream contains a comment, a
// processing instruction or a DOCTYPE declaration, which RFC 6120 forbids.
// It maps to the restricted-xml stream error. It is final.
var ErrRestrictedXML = errors.New("xmlstream: restricted XML (comment, processing instruction or DOCTYPE)")

// ErrNotWellFormed is matched (errors.Is) by every *SyntaxError. It maps to
// the not-well-formed stream error.
var ErrNotWellFormed = errors.New("xmlstream: not well-formed")

// ErrTooLarge is matched (errors.Is) by every *TooLargeError.
var ErrTooLarge = errors.New("xmlstream: stanza too large")

// SyntaxError reports malformed XML. It is final: the stream cannot be
// resynchronised after it.
type SyntaxError struct {
	Offset int64  // byte offset in the stream where the problem was seen
	Msg    string // what was wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("xmlstream: not well-formed at byte %d: %s", e.Offset, e.Msg)
}

// Is makes errors.Is(err, ErrNotWellFormed) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrNotWellFormed }

// TooLargeError reports a top-level element larger than the limit. Next
// returns it after the element has been skipped in full: the stream is still
// usable. (A stream header larger than the limit is a different, final error
// that also matches ErrTooLarge.)
type TooLargeError struct {
	Name  string // qualified name of the top-level element, e.g. "message"
	Limit int    // the configured limit in bytes
	// Prefix is the element's first bytes as received (at most PrefixBytes, never more than
	// Limit): enough to read the start tags of a stanza and of its first children.
	Prefix []byte
}

// PrefixBytes is how much of an oversized element a TooLargeError keeps.
const PrefixBytes = 8 << 10

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("xmlstream: <%s/> larger than %d bytes skipped", e.Name, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Condition returns the RFC 6120 stream error condition that a peer should be
// sent for err, or "" when err is not a protocol error of this package.
func Condition(err error) string {
	switch {
	case errors.Is(err, ErrRestrictedXML):
		return "restricted-xml"
	case errors.Is(err, ErrNotWellFormed):
		return "not-well-formed"
	case errors.Is(err, ErrTooLarge):
		return "policy-violation"
	}
	return ""
}
