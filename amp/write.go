package amp

import (
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Writing pieces of XML. Values are escaped by xmlscan.AppendEscaped, which also keeps the
// output well-formed whatever the input.

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
