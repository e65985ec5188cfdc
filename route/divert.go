package route

import (
	"errors"
	"fmt"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Origin is where the server received a diverted message from.
type Origin string

// The origins of the wire protocol.
const (
	OriginC2S Origin = "c2s"
	OriginS2S Origin = "s2s"
)

// Divert is one AMP request the server module handed to ampd, awaiting a verdict.
type Divert struct {
	Host      string // the server host that diverted it (the outer message's from)
	ID        string // ROUTE-ID
	Origin    Origin
	Recipient string // local | unknown | remote | service
	Offline   string // store | none
	// Message is the inner <message/> exactly as the server sent it: a sub-slice of the input.
	Message []byte
}

// ErrNotDivert is returned by ParseDivert for a message that carries no <route/> element.
var ErrNotDivert = errors.New("route: not a diverted message")

var validRecipients = map[string]bool{"local": true, "unknown": true, "remote": true, "service": true}

// ParseDivert reads a divert message. It returns ErrNotDivert when the stanza has no <route/>
// child, and a descriptive error when it has one but is malformed (the caller logs and skips it:
// without a valid route id no verdict can be addressed).
func ParseDivert(raw []byte) (Divert, error) {
	root, err := xmlscan.Parse(raw)
	if err != nil {
		return Divert{}, fmt.Errorf("route: divert is not well-formed: %w", err)
	}
	r, ok := root.Child(NS, "route")
	if !ok {
		return Divert{}, ErrNotDivert
	}
	var d Divert
	d.Host = attr(&root, "from")
	d.ID = attr(&r, "id")
	d.Origin = Origin(attr(&r, "origin"))
	d.Recipient = attr(&r, "recipient")
	d.Offline = attr(&r, "offline")
	if d.ID == "" {
		return Divert{}, errors.New("route: divert without route id")
	}
	if d.Host == "" {
		return Divert{}, errors.New("route: divert without from (the server host)")
	}
	if d.Origin != OriginC2S && d.Origin != OriginS2S {
		return Divert{}, fmt.Errorf("route: divert %q has unknown origin %q", d.ID, d.Origin)
	}
	if !validRecipients[d.Recipient] {
		return Divert{}, fmt.Errorf("route: divert %q has unknown recipient kind %q", d.ID, d.Recipient)
	}
	if d.Offline != "store" && d.Offline != "none" {
		return Divert{}, fmt.Errorf("route: divert %q has unknown offline value %q", d.ID, d.Offline)
	}
	fwd, ok := root.Child(NSForward, "forwarded")
	if !ok {
		return Divert{}, fmt.Errorf("route: divert %q has no <forwarded/>", d.ID)
	}
	msg, ok := firstChild(&fwd, "message")
	if !ok {
		return Divert{}, fmt.Errorf("route: divert %q has no forwarded <message/>", d.ID)
	}
	d.Message = msg.Raw()
	return d, nil
}

// firstChild returns the first child named local in jabber:client or with no namespace
// inherited from elsewhere than forwarded (servers differ in whether they repeat the xmlns).
func firstChild(e *xmlscan.Element, local string) (xmlscan.Element, bool) {
	for c := e.Children(); c.Next(); {
		el := c.Element()
		if string(el.Local()) != local {
			continue
		}
		ns, err := el.Namespace()
		if err == nil && (string(ns) == NSClient || string(ns) == NSForward || string(ns) == "jabber:server") {
			return el, true
		}
	}
	return xmlscan.Element{}, false
}

// attr returns an attribute's unescaped value, "" when absent or malformed.
func attr(e *xmlscan.Element, name string) string {
	a, ok := e.Attr(name)
	if !ok {
		return ""
	}
	v, err := a.Unescape(nil)
	if err != nil {
		return ""
	}
	return string(v)
}
