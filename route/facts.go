package route

import "github.com/ampd-xmpp/ampd/resolver"

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
