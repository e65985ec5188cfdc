// Package daemon carries out ampd's decisions: it connects to the XMPP server as a component,
// keeps the presence table, answers every diverted AMP request with exactly one verdict and
// the reply the sender is owed, and announces the enabled features.
//
// It is the only package that wires the pure core (amp, resolver) to I/O (component, route,
// presence, metrics). All decisions are the resolver's; this package only gathers their inputs
// (presence, recipient facts, the §9 roster answer, the recipient domain's disco#info — is the
// remote next hop AMP-capable, is it a gateway —, the time) and acts on the result. Requests
// waiting for a roster or a disco#info answer are parked (pending.go) without holding up
// any other request.
package daemon
