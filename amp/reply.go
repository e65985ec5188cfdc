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
	action := rule.Action.Value
	if action == "drop" {
		return dst
	}
	isError := action == "error"
	dst = appendMessageStart(dst, m, replyFrom, isError)
	dst = append(dst, "<amp"...)
	dst = appendAttr(dst, "xmlns", NS)
	dst = appendAttr(dst, "status", action)
	dst = appendAttrIf(dst, "from", m.From)
	dst = appendAttrIf(dst, "to", m.To)
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

// appendEcho appends el unchanged: its bytes when they stand on their own, else anew.
func appendEcho(dst []byte, el *Element) []byte {
	if selfContained(el.Raw) {
		return append(dst, el.Raw...)
	}
	dst = append(dst, "<amp"...)
	dst = appendAttr(dst, "xmlns", NS)
	dst = appendAttrIf(dst, "status", el.Status)
	dst = appendAttrIf(dst, "per-hop", el.PerHop)
	dst = appendAttrIf(dst, "from", el.From)
	dst = appendAttrIf(dst, "to", el.To)
	dst = append(dst, '>')
	for _, r := range el.Rules {
		dst = AppendRule(dst, r)
	}
	return append(dst, "</amp>"...)
}

// selfContained reports whether raw, an <amp/> element cut out of its message, means the same
// on its own: it declares its default namespace itself (so unprefixed descendants keep
// theirs), it is in NS, and every prefix used inside is declared inside.
func selfContained(raw []byte) bool {
	root, err := xmlscan.Parse(raw)
	if err != nil {
		return false
	}
	if _, ok := root.Attr("xmlns"); !ok || !root.Is(NS, "amp") {
		return false
	}
	return prefixesBound(&root)
}

func prefixesBound(e *xmlscan.Element) bool {
	if _, err := e.Namespace(); err != nil {
		return false
	}
	for it := e.Attrs(); it.Next(); {
		a := it.Attr()
		p := a.Prefix()
		if len(p) == 0 || string(p) == "xmlns" {
			continue
		}
		if _, ok := e.LookupPrefix(p); !ok {
			return false
		}
	}
	for c := e.Children(); c.Next(); {
		child := c.Element()
		if !prefixesBound(&child) {
			return false
		}
	}
	return true
}

// Stamp returns m's bytes with the <amp/> start tag carrying from = m.From and to = m.To
// (amp-semantics §5, XEP-0079 §4.1), replacing any from and to it had; every other byte is
// the original's. Without an <amp/> it returns a copy of m.Raw.
func Stamp(m *Message) []byte {
	return AppendStamp(make([]byte, 0, len(m.Raw)+len(m.From.Value)+len(m.To.Value)+16), m)
}

// AppendStamp appends the stanza Stamp returns to dst.
func AppendStamp(dst []byte, m *Message) []byte {
	raw := m.Raw
	a := m.Amp
	if a == nil {
		return append(dst, raw...)
	}
	el, err := xmlscan.Parse(a.Raw)
	if err != nil || a.Start < 0 || a.End > len(raw) || a.Start > a.End {
		return append(dst, raw...) // m was not made by ParseMessage from raw
	}
	// Copy up to the name, then each kept attribute with the space before it.
	prev := a.Start + 1 + len(el.Name())
	dst = append(dst, raw[:prev]...)
	for it := el.Attrs(); it.Next(); {
		at := it.Attr()
		end := a.Start + at.End
		if name := string(at.Name); name != "from" && name != "to" {
			dst = append(dst, raw[prev:end]...)
		}
		prev = end
	}
	dst = appendAttrIf(dst, "from", m.From)
	dst = appendAttrIf(dst, "to", m.To)
	return append(dst, raw[prev:]...)
}

func appendAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, "='"...)
	dst = xmlscan.AppendEscaped(dst, value)
	return append(dst, '\'')
}

func appendAttrIf(dst []byte, name string, a Attr) []byte {
	if !a.Present {
		return dst
	}
	return appendAttr(dst, name, a.Value)
}

// appendEmpty appends <name xmlns='ns'/>.
func appendEmpty(dst []byte, name, ns string) []byte {
	dst = append(dst, '<')
	dst = appendName(dst, name)
	dst = appendAttr(dst, "xmlns", ns)
	return append(dst, "/>"...)
}

// appendName appends an element name taken from an Error, which a caller may have filled
// with anything: a name that is not a plain XML name is replaced so the output stays
// well-formed.
func appendName(dst []byte, name string) []byte {
	if !plainName(name) {
		return append(dst, "undefined-condition"...)
	}
	return append(dst, name...)
}

func plainName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
			return false
		}
	}
	return true
}
