// Package component implements the client side of XEP-0114: Jabber Component
// Protocol, with a supervisor that keeps the connection up.
//
// A Client connects to the XMPP server's component listener, authenticates
// with the shared secret, hands every stanza it receives to a Handler and
// writes the stanzas given to Send. When the connection fails it reconnects
// with jittered exponential backoff until its context is cancelled.
//
// Stanzas are never decoded here: the Handler gets the exact bytes the
// server sent (see package xmlstream), and Send writes the exact bytes it was
// given.
//
// # Goroutines of a connection
//
// One goroutine reads and splits the stream; it copies the stanzas of each
// read into a group and hands the group to a second goroutine that passes
// them to the Handler, so that reading the next bytes and handling the last
// ones use two cores. A small group read while that goroutine is idle (the
// usual case at ordinary rates) is passed to the Handler by the reading
// goroutine itself: one thread wake-up per stanza instead of three. A Handler
// that is an Idler learns when a group ends (ampd sends the group's verdicts
// then, in one message); one that is a Preparer does part of each stanza's
// work on the reading goroutine. What the Handler queues while it handles a
// group is written when the group ends, by the goroutine that handled it; a
// third goroutine writes what is queued from elsewhere (and keepalives), one
// Write per drain of the queue. On Linux the socket is read and written with
// raw system calls (rawconn.go), which do not wake the runtime's monitor
// thread the way net.Conn's calls do after every idle spell.
//
// # Delivery guarantee of Send
//
// A stanza accepted by Send (nil error) stays in the outbound queue until a
// Write call that contains it has returned successfully on a connection.
// If the connection fails before that (including a Write that wrote part of
// it), the stanza is written again, whole and in its original order, at the
// start of the next connection. So every accepted stanza reaches the kernel
// of some connection at least once, in Send order, as long as Run keeps
// running; a stanza may be written twice when a Write failed after some of
// its bytes had left. Two things are outside the guarantee: bytes the kernel
// had accepted when the connection broke (XEP-0114 has no acknowledgements,
// so they cannot be detected as lost), and stanzas still queued when Run
// returns. ampd's wire protocol tolerates repeats (see docs/PROTOCOL.md).
package component
