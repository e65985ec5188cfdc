// Package c2stest is a minimal XMPP client (RFC 6120 client-to-server) for
// integration tests against a real server.
//
// It is deliberately not a general client: a test sends raw bytes, exactly the
// stanza it wants the server to see (unknown extension elements, xml:lang,
// escapes, non-ASCII), and receives the exact bytes of every top-level element
// the server sends. Incoming bytes are split with the repository's xmlstream
// package, so nothing is re-encoded on the way in; the Stanza fields (Name,
// From, ID, …) are only conveniences for matching.
//
// Dial connects without TLS and authenticates with SASL PLAIN, so the server
// must allow it (Prosody: c2s_require_encryption = false and
// allow_unencrypted_plain_auth = true). Dial does not send presence.
//
// Receiving: Next returns the next element; Expect waits for one that matches
// and keeps the ones it skipped in a backlog that later calls look at first,
// so two stanzas arriving in an unexpected order are not lost; ExpectNone
// asserts that nothing matching arrives for a while. A Client is for one test
// goroutine: SendRaw may be called from any goroutine, the receiving methods
// from one at a time.
package c2stest
