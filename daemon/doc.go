// Package daemon asks, parks and acts. It connects to the XMPP server as a component, keeps
// the presence table, answers every diverted AMP request with exactly one verdict and the
// reply the sender is owed, and announces the enabled features.
//
// It is the only package that wires the pure core (amp, resolver) to I/O (component, route,
// iq, presence, held, metrics). Every outcome is formed by resolver.Resolve; this package
// gathers its inputs (presence, route facts, time), fetches what the resolver says it needs
// (the §9 roster: roster.go; the next hop's disco#info: nexthop.go) from a cache or by parking
// the request until the answer arrives (pending.go; a parked request holds up no other), and
// carries out the outcome (divert.go: act). It writes no XML itself: the adapters encode.
package daemon
