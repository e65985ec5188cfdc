// Package xmlstream splits an XMPP stream into its top-level elements without
// decoding them.
//
// A Splitter reads the stream header and then returns each top-level element
// (stanza, stream:features, stream:error, handshake, …) exactly as it was
// received, byte for byte. It checks the structure of the XML (tags,
// attributes, nesting, matching end tags, CDATA sections) but does not resolve
// namespaces, decode entities or validate character data: callers that need
// the content parse the returned bytes themselves. This is what lets it run
// at well over a million small stanzas per second where a token decoder such
// as encoding/xml manages a few tens of thousands.
//
// Restricted XML (RFC 6120 section 11.1): comments, processing instructions
// and DOCTYPE declarations are refused with ErrRestrictedXML; only an XML
// declaration before the stream header is accepted.
//
// Oversized stanzas: a top-level element larger than the configured limit is
// skipped completely and reported as a *TooLargeError (matching ErrTooLarge).
// The stream stays usable: the next call to Next returns the element after
// it. The caller decides what to do (typically: drop the stanza, log a
// warning, keep the connection). Every other error is final and returned
// again by every later call.
package xmlstream
