package amp

import (
	"errors"
	"strconv"
)

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

// The application conditions of AMP errors (Error.App).
const (
	AppUnsupportedActions    = "unsupported-actions"    // namespace NS
	AppUnsupportedConditions = "unsupported-conditions" // namespace NS
	AppInvalidRules          = "invalid-rules"          // namespace NS
	AppFailedRules           = "failed-rules"           // namespace NSErrors
)

// AppNS returns the namespace of e's application condition: NSErrors for failed-rules, NS
// for the others.
func (e *Error) AppNS() string {
	if e.App == AppFailedRules {
		return NSErrors
	}
	return NS
}

// UnsupportedActions is the error for rules whose action is not enabled (amp-semantics §2,
// XEP-0079 Example 17).
func UnsupportedActions(rules []Rule) *Error {
	return &Error{Type: "modify", Code: "400", Condition: "bad-request",
		App: AppUnsupportedActions, Rules: rules}
}

// UnsupportedConditions is the error for rules whose condition is not enabled (amp-semantics
// §2, XEP-0079 Example 19).
func UnsupportedConditions(rules []Rule) *Error {
	return &Error{Type: "modify", Code: "400", Condition: "bad-request",
		App: AppUnsupportedConditions, Rules: rules}
}

// InvalidRules is the error for rules that are malformed, carry an invalid value or are
// refused by policy (amp-semantics §2 and §6). Its legacy code is 406, not the 405 of
// XEP-0079 Example 21 (Decision D3).
func InvalidRules(rules []Rule) *Error {
	return &Error{Type: "modify", Code: "406", Condition: "not-acceptable",
		App: AppInvalidRules, Rules: rules}
}

// MissingID is the error for an AMP request without an id or with an empty one
// (amp-semantics §2, Decision D1).
func MissingID() *Error {
	return &Error{Type: "modify", Code: "400", Condition: "bad-request",
		Text: "an AMP message requires an id"}
}

// EmptyRuleset is the error for an <amp/> element without any <rule/> (amp-semantics §2).
func EmptyRuleset() *Error {
	return &Error{Type: "modify", Code: "400", Condition: "bad-request",
		Text: "an amp element requires at least one rule"}
}

// ServiceUnavailable is the error for a request whose remote next hop does not support AMP
// (amp-semantics §8, XEP-0079 Example 23).
func ServiceUnavailable() *Error {
	return &Error{Type: "cancel", Code: "503", Condition: "service-unavailable"}
}

// FailedRules is the error carried by the reply to a met rule whose action is error
// (amp-semantics §5, XEP-0079 §3.4.3).
func FailedRules(rule Rule) *Error {
	return &Error{Type: "modify", Code: "500", Condition: "undefined-condition",
		App: AppFailedRules, Rules: []Rule{rule}}
}

// NotWellFormed is the error for a stanza that is not well-formed XML or not a message;
// detail says what is wrong.
func NotWellFormed(detail string) *Error {
	return &Error{Type: "modify", Code: "400", Condition: "bad-request",
		Text: "not-well-formed: " + detail}
}

// TooLarge is the error for a request too large for ampd to read (its limit is limitBytes, as
// the server forwards the message): its rules cannot be honoured, so it is not delivered, and
// the sender learns why and what to do. policy-violation is RFC 6120's condition for a stanza
// over a size limit; it has no legacy code.
func TooLarge(limitBytes int) *Error {
	return &Error{Type: "modify", Condition: tooLargeCondition,
		Text: "message too large for AMP processing (limit " + strconv.Itoa(limitBytes) +
			" bytes as the server forwards it): send it shorter, or without AMP rules"}
}

// tooLargeCondition is only used by TooLarge: Class tells its refusals by it.
const tooLargeCondition = "policy-violation"

// Is reports whether e is an error of target's kind: the same type, code, stanza condition,
// text and application condition, whatever rules each lists. So errors.Is(err,
// amp.MissingID()) and errors.Is(err, amp.UnsupportedActions(nil)) tell the kinds apart
// without comparing texts.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.Type == t.Type && e.Code == t.Code && e.Condition == t.Condition &&
		e.Text == t.Text && e.App == t.App
}

// Class names the kind of a refusal, as the metrics label it: the application condition
// (unsupported-actions, unsupported-conditions, invalid-rules, failed-rules), missing-id,
// empty-ruleset, service-unavailable, too-large, or malformed for anything else (a message that
// cannot be read).
func (e *Error) Class() string {
	switch {
	case e.App != "":
		return e.App
	case errors.Is(e, MissingID()):
		return "missing-id"
	case errors.Is(e, EmptyRuleset()):
		return "empty-ruleset"
	case errors.Is(e, ServiceUnavailable()):
		return "service-unavailable"
	case e.Condition == tooLargeCondition:
		return "too-large"
	}
	return "malformed"
}
