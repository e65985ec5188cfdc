package resolver

import (
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
)

// Disposition is what would happen to a message without AMP (amp-semantics §3).
type Disposition string

// The dispositions, named as the deliver condition's values.
const (
	Direct  Disposition = "direct"
	Stored  Disposition = "stored"
	None    Disposition = "none"
	Forward Disposition = "forward"
	Gateway Disposition = "gateway"
)

// RecipientKind is what the server module knows of the recipient (the route's recipient=).
type RecipientKind int

// The recipient kinds of the wire protocol.
const (
	RecipientLocal   RecipientKind = iota // an existing local account
	RecipientUnknown                      // a local domain without such account
	RecipientRemote                       // another server
	RecipientService                      // a component or the server itself
)

// Facts are the recipient facts attached by the server module and the configuration.
type Facts struct {
	Recipient      RecipientKind
	OfflineStorage bool // the server would store an offline message for this recipient
	Gateway        bool // the recipient's domain is a gateway (configured or disco category)
	Forwarded      bool // configuration declares this recipient forwarded
}

// Resource is one available resource of the recipient with its presence priority.
type Resource struct {
	Name     string
	Priority int
}

// Input is everything a decision depends on.
type Input struct {
	Message *amp.Message // a parsed AMP request (Message.IsRequest() is true)
	// From and To are the message's sender (full JID, as the server stamped it) and recipient
	// (as addressed), parsed by the caller, which needs them anyway for presence look-ups.
	From, To jid.JID
	Facts    Facts
	// Available lists the available resources of the recipient's bare JID at receipt.
	Available []Resource
	// PresenceAuthorised is the caller's §9 policy answer: the recipient's roster gives the
	// sender a from/both subscription, or the policy mode trusts the sender. The resolver
	// itself also authorises a sender writing to their own bare JID.
	PresenceAuthorised bool
	Now                time.Time
}

// Verdict is what the server module is told to do with the message.
type Verdict string

// The verdicts of the wire protocol.
const (
	Deliver Verdict = "deliver"
	Discard Verdict = "discard"
	Hold    Verdict = "hold" // ampd keeps it durably (disposition stored + an expire-at rule)
)

// Decision is the outcome of one AMP request.
type Decision struct {
	Verdict      Verdict
	Disposition  Disposition
	Destinations []string // resources the message would go to (direct only)
	// Met is the index in Message.Amp.Rules of the rule that decided, -1 if none was met.
	Met int
	// Action is the met rule's action ("" when none was met or validation failed).
	Action string
	// Err is set when validation failed; the reply is then this error and the verdict Discard.
	Err *amp.Error
}
