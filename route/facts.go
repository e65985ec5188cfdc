package route

import (
	"errors"

	"github.com/ampd-xmpp/ampd/resolver"
)

// RecipientKind is the divert's recipient= as the resolver names it.
func (d *Divert) RecipientKind() resolver.RecipientKind {
	switch d.Recipient {
	case "local":
		return resolver.RecipientLocal
	case "unknown":
		return resolver.RecipientUnknown
	case "remote":
		return resolver.RecipientRemote
	}
	return resolver.RecipientService
}

// OfflineStorage reports the divert's offline='store': the server would store the message
// for an offline recipient.
func (d *Divert) OfflineStorage() bool { return d.Offline == "store" }

// ErrSlimHold is Holdable's answer for a slim divert.
var ErrSlimHold = errors.New("route: the module diverted the message slim, without its body, though a hold was possible " +
	"(docs/PROTOCOL.md §1: a module sends the whole message when the <amp/> has an expire-at rule and offline='store'); " +
	"update the server module")

// Holdable says whether ampd may hold the diverted message: only a whole one, since the held
// message is what ampd releases later.
func (d *Divert) Holdable() error {
	if d.Slim {
		return ErrSlimHold
	}
	return nil
}
