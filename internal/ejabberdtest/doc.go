// Package ejabberdtest runs a throwaway ejabberd 23.01 (the Debian package)
// with ampd's server module, contrib/ejabberd/src/mod_ampd.erl, for integration
// tests.
//
// Its API has the shape and names of internal/prosodytest (Options, Start,
// Server with Stop, Restart, PID, Register, Deregister and LogTail,
// Installed, EnsureInstalled, RepoRoot) so that one suite can run against
// both servers. DeleteOfflineMessages, for benchmarks, and StartCluster, a
// two-node cluster on loopback (cluster.go), have no Prosody counterpart.
//
// The sandbox listens on loopback only: a plain c2s port (no STARTTLS
// required, SASL PLAIN allowed), an s2s port (s2s denied by default) and a
// XEP-0114 component listener for ampd's component, which mod_privilege
// grants presence (managed_entity) and roster get. ejabberdctl reaches the
// node over ERL_DIST_PORT, so no epmd runs. The Debian ejabberdctl switches
// to the ejabberd user when run as root, so Options.Dir is handed to that
// user. Everything the node writes lives in Options.Dir.
//
// The tests of this package are the integration tests of mod_ampd: they
// start a sandbox, connect a stand-in component built on package component
// and clients built on package c2stest, and check the wire protocol of
// docs/PROTOCOL.md. They install ejabberd when it is missing and they run
// as root, and skip only when it cannot be installed.
package ejabberdtest
