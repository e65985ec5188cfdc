// Command sandbox is `make run`: it starts a throwaway XMPP server (Prosody or
// ejabberd, installed from Debian packages when missing) on 127.0.0.1 with
// ampd's server module and two befriended demo accounts, starts the real ampd
// binary in front of it, prints how to connect a client, and runs until
// Ctrl-C, when it stops exactly the two processes it started.
//
// With -smoke it instead logs in as both demo accounts, checks that an AMP
// notify/deliver=direct rule works end to end, stops everything and exits
// (0 on success), which is `make run-smoke`.
//
// Everything listens on 127.0.0.1: clients on port 5222, ampd's component
// connection on 5347 and ampd's /metrics, /healthz and /readyz on 9479. A
// port that is taken is replaced by a free one, and the sandbox says so;
// -c2s-port, -component-port and -http-port choose others. The demo accounts
// are alice@localhost (password alice-pass) and bob@localhost (bob-pass).
//
// Everything it writes lives in the sandbox directory (.sandbox/ in the
// repository by default): the server's files in a subdirectory named after
// the server, ampd.toml, ampd.db and ampd.log. Each run starts afresh.
package main
