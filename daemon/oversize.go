package daemon

import (
	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/route"
)

// Oversized answers a stanza over component.max_stanza_bytes (component.OversizeHandler):
// the component could not read it, only its first bytes. A divert among them is settled like
// an unreadable one — discard, with a policy-violation to the sender, whose rules cannot be
// honoured unread — so the module answers it at once instead of re-diverting it on every
// reconnect and bouncing it after its pending timeout. Anything else is counted (the
// component logged it).
func (h handler) Oversized(prefix []byte) {
	d := h.d
	d.metrics.StanzasSkipped.WithLabelValues("oversized").Inc()
	t, err := route.ParseTruncated(prefix)
	if err != nil {
		return
	}
	r := &request{div: route.Divert{Host: t.Host, ID: t.ID}, s: d.settings.Load(), started: d.now().UnixNano()}
	r.msg.From = amp.Attr{Value: t.From, Present: t.From != ""}
	r.msg.ID = amp.Attr{Value: t.MessageID, Present: t.MessageID != ""}
	r.req.Unreadable = amp.TooLarge(d.maxStanza)
	d.settle(r)
}
