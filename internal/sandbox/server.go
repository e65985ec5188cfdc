package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// xmppServer is the started sandbox server, whichever it is.
type xmppServer = testserver.Server

// installTime is what a first install takes here, for the progress line.
func installTime(k serverkind.Kind) string {
	switch {
	case k.Trixie:
		return "~1 min, a Debian 13 root with both servers"
	case k.Family == serverkind.Prosody:
		return "~10 s"
	default:
		return "~30 s"
	}
}

// startServer starts k's server with the demo accounts on the chosen ports.
func startServer(ctx context.Context, k serverkind.Kind, dir string, c2sPort, compPort int, users map[string]string) (*xmppServer, error) {
	return testserver.Start(ctx, k, testserver.Options{Dir: dir, C2SPort: c2sPort, ComponentPort: compPort, Users: users, LogLevel: "info"})
}

// ensureServer installs the server when it is missing, with its output in a
// log file under dir, and explains a failure.
func ensureServer(ctx context.Context, say func(string, ...any), k serverkind.Kind, dir string) error {
	if testserver.Installed(k) {
		return nil
	}
	logPath := filepath.Join(dir, "install-"+k.Name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return &problem{what: "cannot write " + logPath, err: err, fix: "check the permissions of the sandbox directory"}
	}
	defer log.Close()
	say("installing %s (first run only, %s; output in %s)…", k.Title, installTime(k), logPath)
	start := time.Now()
	if err := testserver.EnsureInstalled(ctx, k, log); err != nil {
		return &problem{
			what:   "installing " + k.Title + " failed",
			err:    err,
			fix:    "run `bash " + testserver.InstallScript(k) + "` yourself (it needs root or sudo and apt-get) and read its output",
			detail: sandboxproc.Tail(logPath, 15),
		}
	}
	say("%s installed in %s", k.Title, time.Since(start).Round(time.Second))
	return nil
}

// startFailure explains a server that did not start.
func startFailure(k serverkind.Kind, err error) error {
	fix := "look at the log lines below; `make run` again starts afresh"
	msg := err.Error()
	switch {
	case strings.Contains(msg, "cannot reach"):
		fix = "the ejabberd user must be able to enter every directory above the sandbox: `chmod o+x` them, or pass -dir with a directory under /tmp"
	case strings.Contains(msg, "only as root"):
		fix = "run as root (sudo make run SERVER=" + k.Name + "): the Debian ejabberdctl switches to the ejabberd user"
	case strings.Contains(msg, "address in use") || strings.Contains(msg, "eaddrinuse"):
		fix = "another process took a port; pass other ports (-c2s-port, -component-port)"
	}
	return &problem{what: k.Title + " did not start", err: err, fix: fix}
}
