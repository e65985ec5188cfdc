package held

import (
	"bytes"
	"strconv"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/store"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// NSDelay is the namespace of XEP-0203: Delayed Delivery.
const NSDelay = "urn:xmpp:delay"

// Key returns the stable key of the stanza a record in a pending state sends: the same for
// every resend of the same step, different for every step. The server module uses it to
// drop repeats (see Actions).
func Key(r *store.Record) string {
	b := append([]byte("held-"), strconv.FormatUint(r.ID, 10)...)
	if r.State == store.Expiring {
		b = append(b, "-rule-"...)
		return string(strconv.AppendInt(b, int64(r.Rule), 10))
	}
	return string(append(b, "-release"...))
}

// outgoing returns the stanza a record in a pending state sends, nil for none (drop).
// It depends only on the record, so a resend after a restart is byte for byte the same.
func outgoing(r *store.Record, m *amp.Message, replyFrom string) []byte {
	switch r.State {
	case store.Releasing:
		return released(r, m)
	case store.Expiring:
		if r.Rule < 0 || m.Amp == nil || r.Rule >= len(m.Amp.Rules) {
			return nil
		}
		return amp.ActionReply(m, m.Amp.Rules[r.Rule], replyFrom)
	}
	return nil
}

// released returns the message as released to its recipient: the <amp/> stamped with from
// and to (amp-semantics §5) and a XEP-0203 <delay/> with the original receipt time, added as
// the message's last child.
func released(r *store.Record, m *amp.Message) []byte {
	stamped := amp.Stamp(m)
	end := bytes.LastIndex(stamped, []byte("</"))
	if end < 0 { // a message with an <amp/> child always has an end tag
		return stamped
	}
	out := make([]byte, 0, len(stamped)+120)
	out = append(out, stamped[:end]...)
	out = appendDelay(out, r.Host, r.Received)
	return append(out, stamped[end:]...)
}

func appendDelay(dst []byte, from string, stamp time.Time) []byte {
	dst = append(dst, "<delay xmlns='"+NSDelay+"' from='"...)
	dst = xmlscan.AppendEscaped(dst, from)
	dst = append(dst, "' stamp='"...)
	dst = stamp.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	return append(dst, "'/>"...)
}
