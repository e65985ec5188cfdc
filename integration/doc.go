// Package integration holds ampd's end-to-end tests: a real Prosody (started by the tests on
// loopback, with contrib/prosody/mod_ampd.lua), ampd in front of it, and real c2s clients that
// send AMP messages and check what sender and recipient receive.
package integration
