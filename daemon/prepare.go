package daemon

import (
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/xmlstream"
)

// The component calls Prepare on its reading goroutine and StanzaPrepared on its handling
// goroutine (component.Preparer). A divert's parsing (the divert and the inner message) so
// runs in parallel with the decisions of the diverts read before it, and the
// handling goroutine, which holds d.mu, only decides.

// Prepare parses a divert into a request from the pool; anything else is left to Stanza.
func (h handler) Prepare(raw []byte) any {
	if string(xmlstream.Name(raw)) != "message" {
		return nil
	}
	div, err := route.ParseDivert(raw)
	if err != nil {
		return nil // not a divert (or malformed): Stanza reads it again and says which
	}
	r := h.d.requests.Get().(*request)
	h.d.read(r, div)
	return r
}

// StanzaPrepared settles what Prepare prepared, or handles raw as Stanza does.
func (h handler) StanzaPrepared(raw []byte, prepared any) {
	r, ok := prepared.(*request)
	if !ok {
		h.Stanza(raw)
		return
	}
	h.d.settle(r)
	h.d.requests.Put(r)
}
