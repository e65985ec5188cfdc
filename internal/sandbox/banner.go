package main

import (
	"fmt"
	"io"
	"net"
)

// printBanner tells the person at the terminal how to connect a client.
func printBanner(out io.Writer, srv *xmppServer, httpListen, dir string) {
	host, port, _ := net.SplitHostPort(srv.C2SAddr)
	fmt.Fprintf(out, `
────────────────────────────────────────────────────────────────────────
 ampd sandbox on %s is running. Connect any XMPP client:

   server    %s, port %s
   TLS       OFF: a plain connection with PLAIN auth (tell your client to
             allow it, e.g. Gajim/Psi+: no TLS, allow plaintext password)
   accounts  %s@%s / %s
             %s@%s / %s
             (mutual presence subscription: each may use every AMP rule)

 Log in as both, then paste into alice's XML console:

   %s

 alice gets an amp notify (deliver=direct) when bob is online; with bob
 offline, no notify, and the message goes to offline storage.

 ampd:   /metrics /healthz /readyz on http://%s
 files:  %s (ampd.toml, ampd.log, %s/)
 Ctrl-C stops ampd and %s.
────────────────────────────────────────────────────────────────────────
`, srv.Kind.Title, host, port, alice.name, srv.Host, alice.password, bob.name, srv.Host, bob.password,
		smokeMessage(bob.name+"@"+srv.Host, "amp1"), httpListen, rel(dir), srv.Kind.Name, srv.Kind.Title)
}
