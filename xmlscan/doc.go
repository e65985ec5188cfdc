// Package xmlscan reads one complete, already split XML stanza straight from its bytes.
//
// It exists because encoding/xml re-encodes every token and is an order of magnitude too slow
// for ampd's message path. xmlscan never copies the document: elements and attributes are
// views (byte ranges) into the caller's slice, and only unescaping a value that contains a
// reference allocates.
//
// # Usage
//
// Parse checks that the document is well-formed and returns its root element, a view to walk:
//
//	root, err := xmlscan.Parse(stanza)
//	if err != nil { … } // a *SyntaxError
//	fwd, ok := root.Child("urn:xmpp:forward:0", "forwarded")
//	inner, ok := fwd.Child("jabber:client", "message") // inner.Raw() is the diverted message
//	route, ok := root.Child("urn:x-ampd:route:0", "route")
//	if a, ok := route.Attr("id"); ok {
//		id, err := a.Unescape(nil)
//	}
//	prio, ok := presence.Child("jabber:client", "priority")
//	text, err := prio.Text()
//
// An Element gives its qualified name (Name, Prefix, Local), its resolved namespace
// (Namespace, Is; the default xmlns= of the element or inherited, and prefix: names through
// the xmlns:prefix declarations in scope), its attributes (Attrs iterates them in document
// order, Attr finds one by qualified name), its direct child elements (Children, Child), its
// byte ranges (Range, InnerRange, Raw, Inner) and its text content unescaped (Text,
// AppendText). Attribute values are kept raw (escaped); Attr.Unescape, Attr.Plain and
// UnescapeAttr turn them into values. AppendEscaped writes a value for either attribute or
// text position.
//
// Scanner does the same checks as Parse in a single pass and reports each element's start
// and end as it goes, with its depth, name, attributes and namespace: it is the fastest way
// to pick a few elements out of a stanza without walking it twice (amp.ParseMessage uses it).
// Parse is a Scanner run to the end. Scanner.Skip jumps over an element a later parser will
// check in full (route.ParseDivert skips the forwarded message that amp.ParseMessage reads),
// checking only what finding its end needs.
//
// Views are small values holding only the document slice and offsets; they can be kept and
// copied freely, and stay on the stack. They must not be used after the document's bytes have
// been modified.
//
// # What is checked
//
// Parse checks structure: a single root element, optionally surrounded by whitespace and
// comments; start and end tags that match; attribute syntax with single or double quotes and
// no '<' in values; no attribute written twice on one element; entity and character
// references (only &lt; &gt; &amp; &apos; &quot; &#N; &#xN; for an XML Char); comments
// and CDATA sections that are terminated. It rejects processing instructions (the XML
// declaration included), DOCTYPE and other markup declarations, as XMPP (RFC 6120 §11.1) does.
//
// Attribute values must be UTF-8 made of XML Chars. Parse does not check character ranges or
// UTF-8 validity of text (nor of names beyond ASCII), nor ']]>' in text, nor namespace
// well-formedness (an unbound prefix is reported by Namespace when it is asked for): stanzas
// reach ampd through an XMPP server that has already parsed them.
// An element with more than MaxAttrs attributes is rejected. No input makes the package panic.
package xmlscan
