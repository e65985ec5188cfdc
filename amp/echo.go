package amp

import (
	"github.com/ampd-xmpp/ampd/xmlscan"
)

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
