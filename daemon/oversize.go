package daemon

import (
	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/route"
)

// Oversized answers a stanza over component.max_stanza_bytes (component.OversizeHandler):
// the component could not read it, only its first bytes. A divert among them still gets its
// verdict at once — discard, with a policy-violation error to the sender, whose rules cannot
// be honoured unread — so the module settles it instead of re-diverting it on every reconnect
// and bouncing it after its pending timeout. Anything else is counted (the component logged
// it).
func (h handler) Oversized(prefix []byte) {
	d := h.d
	d.metrics.StanzasSkipped.WithLabelValues("oversized").Inc()
	t, err := route.ParseTruncated(prefix)
	if err != nil {
		return
	}
	r := &request{div: route.Divert{Host: t.Host, ID: t.ID}, started: d.now().UnixNano()}
	r.msg.From = amp.Attr{Value: t.From, Present: t.From != ""}
	r.msg.ID = amp.Attr{Value: t.MessageID, Present: t.MessageID != ""}
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.decided.get(t.Host, t.ID); ok {
		d.metrics.DuplicateRoutes.Inc()
		d.queueVerdict(t.Host, t.ID, v)
		return
	}
	d.metrics.ValidationErrors.WithLabelValues("too-large").Inc()
	d.log.Warn("diverted message is over component.max_stanza_bytes; refusing it unread with policy-violation (raise the limit if such messages are legitimate)",
		"route", t.ID, "from", t.From, "limit_bytes", d.maxStanza)
	var reply []byte
	if t.From != "" {
		reply = amp.ErrorReply(&r.msg, amp.TooLarge(d.maxStanza), d.replyAddress(t.Host))
		d.metrics.Replies.WithLabelValues("validation").Inc()
	}
	d.conclude(r, route.Discard, reply, "none")
}
