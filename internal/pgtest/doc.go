// Package pgtest starts a real PostgreSQL server for tests: Debian's server binaries
// (scripts/install-postgresql.sh installs them when missing), initdb and pg_ctl run as the
// postgres user in a temporary directory, the server listening on a free loopback port only.
// Each test takes a fresh database of its own (NewDatabase), so one server serves a package.
// Stop and Start stop and restart the same server on the same port and data, for tests of
// what ampd does while its database is away.
package pgtest
