package amp

import (
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// NSClient is the namespace every reply is written in. Replies travel inside a verdict or a
// reinject element of the server-module protocol (docs/PROTOCOL.md), where they are
// <message xmlns='jabber:client' …/>, so the builders declare it on the message.
const NSClient = "jabber:client"

// ActionReply returns the reply owed to the sender of m for the met rule (amp-semantics §5):
//
//	<message xmlns='jabber:client' from='{replyFrom}' to='{m.From}' id='{m.ID}' [type='error']>
//	  <amp xmlns='http://jabber.org/protocol/amp' status='{action}' from='{m.From}' to='{m.To}'>
//	    <rule action=… condition=… value=…/>
//	  </amp>
//	  [<error type='modify' code='500'><undefined-condition …/><failed-rules …><rule …/></failed-rules></error>]
//	</message>
//
// The action is the rule's; the error element and type='error' are added for the error
// action. The drop action has no reply: ActionReply returns nil for it. Nothing of the
// original message but its addresses, its id and the rule is copied: no body, no payload.
// The rule is written from its attribute values, escaped; attributes m or the rule lack are
// left out, as is from when replyFrom is empty.
func ActionReply(m *Message, rule Rule, replyFrom string) []byte {
	return AppendActionReply(nil, m, rule, replyFrom)
}

// AppendActionReply appends the reply ActionReply returns to dst.
func AppendActionReply(dst []byte, m *Message, rule Rule, replyFrom string) []byte {
	return AppendActionReplyStamped(dst, m, rule, replyFrom, m.From, m.To)
}

// AppendActionReplyStamped appends the reply ActionReply returns, except that the reply's
// <amp from to> are ampFrom and ampTo instead of m's addresses. It serves a request that
// arrived from another server with the original sender and recipient stamped on its <amp/>
// (XEP-0079 §4.1): the reply still goes to m's from, but names the original addresses.
func AppendActionReplyStamped(dst []byte, m *Message, rule Rule, replyFrom string, ampFrom, ampTo Attr) []byte {
	action := rule.Action.Value
	if action == "drop" {
		return dst
	}
	isError := action == "error"
	dst = appendMessageStart(dst, m, replyFrom, isError)
	dst = append(dst, "<amp"...)
	dst = appendAttr(dst, "xmlns", NS)
	dst = appendAttr(dst, "status", action)
	dst = appendAttrIf(dst, "from", ampFrom)
	dst = appendAttrIf(dst, "to", ampTo)
	dst = append(dst, '>')
	dst = AppendRule(dst, rule)
	dst = append(dst, "</amp>"...)
	if isError {
		dst = AppendErrorElement(dst, FailedRules(rule))
	}
	return append(dst, "</message>"...)
}

// ErrorReply returns the error reply to m for a validation error or a service-unavailable
// (amp-semantics §2 and §8; XEP-0079 Examples 17, 19, 21 with code 406, 23):
//
//	<message xmlns='jabber:client' from='{replyFrom}' to='{m.From}' id='{m.ID}' type='error'>
//	  {m's <amp/>, unchanged}
//	  <error type=… code=…><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
//	    [<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>…</text>]
//	    [<{app} xmlns=…><rule …/>…</{app}>]
//	  </error>
//	</message>
//
// The <amp/> is echoed byte for byte when it stands on its own (it declares its default
// namespace itself and every prefix it uses); otherwise, e.g. when it relies on a prefix
// declared on the message, it is written anew from its parsed attributes and rules. m
// without an <amp/> gets no echo. The reply to the error action is ActionReply's, not this.
func ErrorReply(m *Message, e *Error, replyFrom string) []byte {
	return AppendErrorReply(nil, m, e, replyFrom)
}

// AppendErrorReply appends the reply ErrorReply returns to dst.
func AppendErrorReply(dst []byte, m *Message, e *Error, replyFrom string) []byte {
	dst = appendMessageStart(dst, m, replyFrom, true)
	if m.Amp != nil {
		dst = appendEcho(dst, m.Amp)
	}
	dst = AppendErrorElement(dst, e)
	return append(dst, "</message>"...)
}

// AppendErrorElement appends e as an <error/> element (RFC 6120 §8.3 with the legacy code):
// the stanza condition, then the text, then the AMP application condition with its rules.
func AppendErrorElement(dst []byte, e *Error) []byte {
	dst = append(dst, "<error"...)
	if e.Type != "" {
		dst = appendAttr(dst, "type", e.Type)
	}
	if e.Code != "" {
		dst = appendAttr(dst, "code", e.Code)
	}
	dst = append(dst, '>')
	dst = appendEmpty(dst, e.Condition, NSStanzas)
	if e.Text != "" {
		dst = append(dst, "<text"...)
		dst = appendAttr(dst, "xmlns", NSStanzas)
		dst = append(dst, '>')
		dst = xmlscan.AppendEscaped(dst, e.Text)
		dst = append(dst, "</text>"...)
	}
	if e.App != "" {
		if len(e.Rules) == 0 {
			dst = appendEmpty(dst, e.App, e.AppNS())
		} else {
			dst = append(dst, '<')
			dst = appendName(dst, e.App)
			dst = appendAttr(dst, "xmlns", e.AppNS())
			dst = append(dst, '>')
			for _, r := range e.Rules {
				dst = AppendRule(dst, r)
			}
			dst = append(dst, "</"...)
			dst = appendName(dst, e.App)
			dst = append(dst, '>')
		}
	}
	return append(dst, "</error>"...)
}

// AppendRule appends r as <rule action=… condition=… value=…/>, with the attributes it has,
// escaped. It has no xmlns: it is written inside an element of the AMP namespace.
func AppendRule(dst []byte, r Rule) []byte {
	dst = append(dst, "<rule"...)
	dst = appendAttrIf(dst, "action", r.Action)
	dst = appendAttrIf(dst, "condition", r.Condition)
	dst = appendAttrIf(dst, "value", r.Value)
	return append(dst, "/>"...)
}

// appendMessageStart appends the start tag of a reply to m.
func appendMessageStart(dst []byte, m *Message, replyFrom string, isError bool) []byte {
	dst = append(dst, "<message"...)
	dst = appendAttr(dst, "xmlns", NSClient)
	if replyFrom != "" {
		dst = appendAttr(dst, "from", replyFrom)
	}
	dst = appendAttrIf(dst, "to", m.From)
	dst = appendAttrIf(dst, "id", m.ID)
	if isError {
		dst = appendAttr(dst, "type", "error")
	}
	return append(dst, '>')
}
