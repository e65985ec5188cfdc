// Package iq reads and writes the iq stanzas ampd exchanges with the XMPP server (RFC 6120
// §8.2.3): its own queries (a recipient's roster through the XEP-0356 roster permission, a
// domain's disco#info), the answers to them, and the answers to queries addressed to the
// component itself (disco#info, ping, anything else refused).
//
// Pending and Cache keep the queries under way, with whatever waits for their answers, and
// the answers for a while.
//
// Everything here parses network bytes, so each parser has a fuzz target with a property
// beyond "does not panic": what is parsed, built again and parsed again stays the same.
package iq

// Namespaces of the queries ampd sends and answers.
const (
	NSDiscoInfo = "http://jabber.org/protocol/disco#info"
	NSPing      = "urn:xmpp:ping"
	NSRoster    = "jabber:iq:roster"
	NSStanzas   = "urn:ietf:params:xml:ns:xmpp-stanzas"
)
