package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// e2eServer is the sandbox XMPP server an e2e run measures, whichever kind it is: the e2e mode
// needs its addresses, the process whose CPU counts as the server's, and a way to stop it.
type e2eServer struct {
	// kind is the -server name; host the virtual host the accounts live on.
	kind, host string
	// c2sAddr is the client listener; componentAddr, componentDomain and secret are where the
	// floor and ampd connect as the component the server module diverts to.
	c2sAddr, componentAddr, componentDomain, secret string
	// pid returns the process whose CPU is the server's (0 when unknown): Prosody's Lua
	// process, or ejabberd's Erlang VM (beam.smp).
	pid func() int
	// clearOffline empties the offline storage before a measured run, where storing costs
	// more the fuller it is (ejabberd's Mnesia mod_offline); nil where it does not matter.
	clearOffline func() error
	// stop ends the server; logTail returns the end of its logs for failure messages.
	stop    func() error
	logTail func(lines int) string
}

// e2eServerOptions are what the e2e mode asks of a sandbox.
type e2eServerOptions struct {
	dir   string
	users map[string]string // accounts to create: name → password
	// maxPending is the server module's bound on diverts awaiting a verdict: above the most
	// the full-speed runs keep in flight, so that the bench measures and does not bounce.
	maxPending int
	// withoutModule leaves the server module out (the component listener stays): the
	// reference for what merely loading the module costs traffic without AMP.
	withoutModule bool
	// erlBusyWait leaves the Erlang VM's schedulers busy-waiting when idle, as a stock
	// ejabberd runs (see erlNoBusyWait).
	erlBusyWait bool
}

// e2eServerKinds are the values of -server: every server of the test matrix.
var e2eServerKinds = serverkind.Names()

// startE2EServer starts a sandbox of kind with its server module loaded and the accounts of o
// created, or says why it cannot. It installs nothing: a missing server is an error.
func startE2EServer(ctx context.Context, name string, o e2eServerOptions, log io.Writer) (*e2eServer, error) {
	k, err := serverkind.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("ampbench: -server: %w", err)
	}
	if !testserver.Installed(k) {
		return nil, fmt.Errorf("ampbench: %s is not installed (run %s)", k.Title, testserver.InstallScript(k))
	}
	so := testserver.Options{Dir: o.dir, Users: o.users, LogLevel: "error", MaxPending: o.maxPending, WithoutAmpd: o.withoutModule}
	if k.Family == serverkind.Prosody {
		so.ProsodyGlobalConfig = prosodyNoArchiveLimit
	}
	if k.Family == serverkind.Ejabberd && !o.erlBusyWait {
		so.ErlOptions = erlNoBusyWait
	}
	if k.Family == serverkind.Ejabberd {
		fmt.Fprintf(log, "starting %s%s (an Erlang VM: 10-30 s, and one ejabberdctl per account)\n", k.Title, withoutNote(o.withoutModule))
	}
	srv, err := testserver.Start(ctx, k, so)
	if err != nil {
		return nil, fmt.Errorf("ampbench: %w", err)
	}
	e := &e2eServer{
		kind: k.Name, host: srv.Host, c2sAddr: srv.C2SAddr,
		componentAddr: srv.ComponentAddr, componentDomain: srv.ComponentDomain, secret: srv.Secret,
		pid: srv.PID, stop: srv.Stop, logTail: srv.LogTail,
	}
	if k.Family == serverkind.Ejabberd {
		// The node writes its own process id (the beam.smp VM, where all of ejabberd's work
		// runs) to its pid file, which is what PID reads; the ejabberdctl, su and shell
		// processes above it only wait.
		e.clearOffline = srv.ClearOffline
	}
	return e, nil
}

// erlNoBusyWait stops the Erlang VM's idle schedulers from spinning before they sleep (by
// default they busy-wait for new work, all three kinds of them). The spinning is CPU time
// without work: it would count in the server's CPU per message (most at the fixed rates, where
// the schedulers are idle most of the time) and, on a machine the bench shares with the
// server, take CPU from the clients and ampd. Prosody, one process in an event loop, has no
// such thing.
const erlNoBusyWait = "+sbwt none +sbwtdcpu none +sbwtdio none"

// prosodyNoArchiveLimit lifts Prosody's bound on the items of one user's archive store,
// which its offline storage uses: at the default 10,000, the offline recipients' stores fill
// up within a few rounds, and every further message to them bounces with an error (seen in
// the third round of a 5 s run). Prosody's internal store appends without reading the store
// (it caches the count), so a fuller store costs no more per message, unlike ejabberd's
// Mnesia, which is emptied before each run instead.
const prosodyNoArchiveLimit = "storage_archive_item_limit = 100000000\n"

// installedE2EServer reports whether the server called name is installed.
func installedE2EServer(name string) bool {
	k, err := serverkind.Lookup(name)
	return err == nil && testserver.Installed(k)
}

// withoutNote says in a progress line that a server runs without its module.
func withoutNote(without bool) string {
	if without {
		return " without mod_ampd"
	}
	return ""
}
