package route

import (
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Verdict is what ampd tells the server module to do with a diverted message: the
// resolver's verdict, written as it is. (AMP's own actions, notify, alert, error and drop,
// are something else: they decide the verdict and the reply.)
type Verdict = resolver.Verdict

// The verdicts of the wire protocol.
const (
	Deliver = resolver.Deliver
	Discard = resolver.Discard
	Hold    = resolver.Hold
)

// AppendVerdict appends a verdict for route id, sent by component to host, with the reply the
// sender is owed (nil for none; it must be a complete <message xmlns='jabber:client'/>).
func AppendVerdict(dst []byte, component, host, id string, verdict Verdict, reply []byte) []byte {
	return appendVerdict(dst, component, host, id, verdict, false, reply)
}

// AppendDeliverStripped appends a deliver verdict that tells the module to remove the
// message's <amp/> before delivering it (strip='amp'): the remote next hop does not support
// AMP and the configuration says to send such messages without their rules.
func AppendDeliverStripped(dst []byte, component, host, id string, reply []byte) []byte {
	return appendVerdict(dst, component, host, id, Deliver, true, reply)
}

func appendVerdict(dst []byte, component, host, id string, verdict Verdict, strip bool, reply []byte) []byte {
	dst = AppendBatchOpen(dst, component, host)
	dst = AppendVerdictElement(dst, id, verdict, strip, reply)
	return AppendBatchClose(dst)
}

// AppendBatchOpen appends the start of a message that carries verdicts from component to
// host: AppendVerdictElement adds each verdict, AppendBatchClose ends it. One message per
// batch of verdicts saves the server a stanza's receive and routing cost per verdict.
func AppendBatchOpen(dst []byte, component, host string) []byte {
	return appendOpen(dst, component, host)
}

// AppendBatchClose appends the end of a message begun with AppendBatchOpen.
func AppendBatchClose(dst []byte) []byte { return append(dst, "</message>"...) }

// AppendVerdictElement appends one <verdict/> element for route id, with the reply the sender
// is owed (nil for none; a complete <message xmlns='jabber:client'/>). strip asks the module
// to deliver without the message's <amp/> and is only meaningful with Deliver.
func AppendVerdictElement(dst []byte, id string, verdict Verdict, strip bool, reply []byte) []byte {
	dst = append(dst, "<verdict xmlns='"+NS+"' route='"...)
	dst = xmlscan.AppendEscaped(dst, id)
	dst = append(dst, "' action='"...)
	dst = append(dst, verdict...)
	if strip {
		dst = append(dst, "' strip='amp"...)
	}
	if reply == nil {
		return append(dst, "'/>"...)
	}
	dst = append(dst, "'>"...)
	dst = append(dst, reply...)
	return append(dst, "</verdict>"...)
}

// AppendReinject appends a re-inject of msg (a complete <message xmlns='jabber:client'/>).
// id is stable across resends of the same stanza: the module routes each id once and
// acknowledges it (see ParseReinjected), so a resend after a crash or a lost connection never
// reaches the recipient twice.
func AppendReinject(dst []byte, component, host, id string, msg []byte) []byte {
	return AppendRouteReinject(dst, component, host, id, "", msg)
}

// AppendRouteReinject is AppendReinject for a step of the message held for routeID (omitted
// when ""): a module that gave up on that route before the hold verdict routes nothing for it
// (route protocol §8), even when this re-inject reaches it before the verdict does.
func AppendRouteReinject(dst []byte, component, host, id, routeID string, msg []byte) []byte {
	dst = appendOpen(dst, component, host)
	dst = append(dst, "<reinject xmlns='"+NS+"' id='"...)
	dst = xmlscan.AppendEscaped(dst, id)
	if routeID != "" {
		dst = append(dst, "' route='"...)
		dst = xmlscan.AppendEscaped(dst, routeID)
	}
	dst = append(dst, "'><forwarded xmlns='"+NSForward+"'>"...)
	dst = append(dst, msg...)
	dst = append(dst, "</forwarded></reinject></message>"...)
	return dst
}

// AppendAnnounce appends the announcement of the enabled AMP features.
func AppendAnnounce(dst []byte, component, host string, features []string) []byte {
	dst = appendOpen(dst, component, host)
	dst = append(dst, "<announce xmlns='"+NS+"'>"...)
	for _, f := range features {
		dst = append(dst, "<feature var='"...)
		dst = xmlscan.AppendEscaped(dst, f)
		dst = append(dst, "'/>"...)
	}
	return append(dst, "</announce></message>"...)
}

func appendOpen(dst []byte, component, host string) []byte {
	dst = append(dst, "<message from='"...)
	dst = xmlscan.AppendEscaped(dst, component)
	dst = append(dst, "' to='"...)
	dst = xmlscan.AppendEscaped(dst, host)
	return append(dst, "'>"...)
}
