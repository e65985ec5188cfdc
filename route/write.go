package route

import "github.com/ampd-xmpp/ampd/xmlscan"

// Action is what a verdict tells the server module to do with a diverted message.
type Action string

// The verdict actions of the wire protocol.
const (
	Deliver Action = "deliver"
	Discard Action = "discard"
	Hold    Action = "hold"
)

// AppendVerdict appends a verdict for route id, sent by component to host, with the reply the
// sender is owed (nil for none; it must be a complete <message xmlns='jabber:client'/>).
func AppendVerdict(dst []byte, component, host, id string, action Action, reply []byte) []byte {
	return appendVerdict(dst, component, host, id, action, false, reply)
}

// AppendDeliverStripped appends a deliver verdict that tells the module to remove the
// message's <amp/> before delivering it (strip='amp'): the remote next hop does not support
// AMP and the configuration says to send such messages without their rules.
func AppendDeliverStripped(dst []byte, component, host, id string, reply []byte) []byte {
	return appendVerdict(dst, component, host, id, Deliver, true, reply)
}

func appendVerdict(dst []byte, component, host, id string, action Action, strip bool, reply []byte) []byte {
	dst = appendOpen(dst, component, host)
	dst = append(dst, "<verdict xmlns='"+NS+"' route='"...)
	dst = xmlscan.AppendEscaped(dst, id)
	dst = append(dst, "' action='"...)
	dst = append(dst, action...)
	if strip {
		dst = append(dst, "' strip='amp"...)
	}
	if reply == nil {
		dst = append(dst, "'/>"...)
	} else {
		dst = append(dst, "'>"...)
		dst = append(dst, reply...)
		dst = append(dst, "</verdict>"...)
	}
	return append(dst, "</message>"...)
}

// AppendReinject appends a re-inject of msg (a complete <message xmlns='jabber:client'/>).
// id is stable across resends of the same stanza: the module routes each id once and
// acknowledges it (see ParseReinjected), so a resend after a crash or a lost connection never
// reaches the recipient twice.
func AppendReinject(dst []byte, component, host, id string, msg []byte) []byte {
	dst = appendOpen(dst, component, host)
	dst = append(dst, "<reinject xmlns='"+NS+"' id='"...)
	dst = xmlscan.AppendEscaped(dst, id)
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
