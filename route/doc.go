// Package route implements ampd's side of the wire protocol it speaks with the server modules
// (namespace urn:x-ampd:route:0, docs/PROTOCOL.md): it reads diverted messages and privilege
// announcements, and writes verdicts (batched per host: Batches; remembered for re-diverts:
// Answered), re-injects and feature announcements.
//
// Diverted messages are read straight from their bytes with xmlscan; the inner message is
// returned as a sub-slice of the input, never re-encoded.
package route

// Namespaces of the wire protocol.
const (
	NS        = "urn:x-ampd:route:0"
	NSForward = "urn:xmpp:forward:0"
	NSClient  = "jabber:client"
)
