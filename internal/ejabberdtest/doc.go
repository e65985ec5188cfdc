// Package ejabberdtest runs a throwaway ejabberd 23.01 (the Debian package)
// with ampd's server module, contrib/ejabberd/mod_ampd.erl, for integration
// tests.
//
// Its shape matches internal/prosodytest (Options, Start, Server with Stop,
// Restart, Register and LogTail) so one test suite can run against both
// servers.
//
// The sandbox listens on loopback only: a plain c2s port (no STARTTLS
// required, SASL PLAIN allowed), and a XEP-0114 component listener for the
// configured component, which mod_privilege grants presence (managed_entity)
// and roster get. The node uses ERL_DIST_PORT, so no epmd is started.
// The Debian ejabberdctl switches to the ejabberd user when run as root, so
// the sandbox directory is owned by that user.
package ejabberdtest
