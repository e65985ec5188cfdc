// Package prosodytest runs a throwaway Prosody 0.12 (the Debian package) with
// ampd's server module, contrib/prosody/mod_ampd.lua, for integration tests
// and for `make run`.
//
// The sandbox listens on loopback only: a plain c2s port (no TLS required,
// SASL PLAIN allowed), an s2s port and a XEP-0114 component listener for
// ampd's component, which mod_privilege grants presence (managed_entity) and
// roster get. Everything it writes (configuration, data, log) lives in
// Options.Dir. No TLS certificate is needed.
//
// The tests of this package are the integration tests of mod_ampd: they start
// a sandbox, connect a stand-in component built on package component and
// clients built on package c2stest, and check the wire protocol of
// docs/PROTOCOL.md. They skip when Prosody is not installed (set
// AMPD_INSTALL_PROSODY=1 to let them install it) and under -short.
package prosodytest
