// Package amp implements the wire format of XEP-0079: Advanced Message Processing.
//
// It reads the <amp/> element and its rules straight from the raw bytes of a message (the
// message itself is never re-encoded) and builds every reply stanza the protocol defines.
// It performs no I/O and reads no clock.
package amp

// Namespaces used by XEP-0079.
const (
	NS        = "http://jabber.org/protocol/amp"
	NSErrors  = "http://jabber.org/protocol/amp#errors"
	NSFeature = "http://jabber.org/features/amp"
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// Attr is an attribute value as sent, with whether it was present at all, so that a missing
// attribute and an empty one can be told apart (both are invalid, but echoed differently).
type Attr struct {
	Value   string // unescaped value
	Present bool
}

// Rule is one <rule/> of an <amp/> element, exactly as the sender wrote it.
type Rule struct {
	Action    Attr
	Condition Attr
	Value     Attr
	// Raw is the rule element's bytes as sent (for echoing in failed-rules and friends).
	Raw []byte
}

// Element is the <amp/> element of a message.
type Element struct {
	Status Attr // present only on replies; a request never has it
	PerHop Attr
	From   Attr
	To     Attr
	Rules  []Rule
	// Raw is the whole <amp>…</amp> element as sent, including its own xmlns declaration.
	Raw []byte
	// Start and End are the byte offsets of Raw inside the message's raw bytes.
	Start, End int
}

// Message is what ampd needs to know of a <message/> stanza, read from its raw bytes.
type Message struct {
	Raw  []byte // the whole stanza as received
	From Attr
	To   Attr
	ID   Attr
	Type Attr
	Lang Attr // xml:lang
	// Amp is the first <amp xmlns='http://jabber.org/protocol/amp'/> child, nil if none.
	Amp *Element
}

// IsRequest reports whether m is an AMP request that ampd must process: it has an <amp/>
// without status and is not an error stanza (amp-semantics §1).
func (m *Message) IsRequest() bool {
	return m.Amp != nil && !m.Amp.Status.Present && m.Type.Value != "error"
}
