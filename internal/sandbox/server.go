package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/internal/ejabberdtest"
	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// running is what both server harnesses offer once started.
type running interface {
	Stop() error
	PID() int
	LogTail(n int) string
}

// xmppServer is the started sandbox server, whichever it is.
type xmppServer struct {
	kind                          string // "prosody" or "ejabberd"
	title                         string // "Prosody" or "ejabberd"
	host, componentDomain, secret string
	c2sAddr, componentAddr        string
	logPath                       string
	proc                          running
}

// serverKind describes how to install and start one kind of server.
type serverKind struct {
	title       string
	installTime string
	installed   func() bool
	install     func(context.Context, *os.File) error
	start       func(context.Context, serverStart) (*xmppServer, error)
}

// serverStart is what the sandbox asks of either server.
type serverStart struct {
	dir               string
	c2sPort, compPort int
	users             map[string]string
}

var serverKinds = map[string]serverKind{
	"prosody": {
		title:       "Prosody",
		installTime: "~10 s",
		installed:   prosodytest.Installed,
		install: func(ctx context.Context, log *os.File) error {
			return prosodytest.EnsureInstalled(ctx, log)
		},
		start: startProsody,
	},
	"ejabberd": {
		title:       "ejabberd",
		installTime: "~30 s",
		installed:   ejabberdtest.Installed,
		install: func(ctx context.Context, log *os.File) error {
			return ejabberdtest.EnsureInstalled(ctx, log)
		},
		start: startEjabberd,
	},
}

func startProsody(ctx context.Context, s serverStart) (*xmppServer, error) {
	srv, err := prosodytest.Start(ctx, prosodytest.Options{
		Dir: s.dir, C2SPort: s.c2sPort, ComponentPort: s.compPort, Users: s.users, LogLevel: "info",
	})
	if err != nil {
		return nil, err
	}
	return &xmppServer{kind: "prosody", title: "Prosody", host: srv.Host, componentDomain: srv.ComponentDomain,
		secret: srv.Secret, c2sAddr: srv.C2SAddr, componentAddr: srv.ComponentAddr, logPath: srv.LogPath, proc: srv}, nil
}

func startEjabberd(ctx context.Context, s serverStart) (*xmppServer, error) {
	srv, err := ejabberdtest.Start(ctx, ejabberdtest.Options{
		Dir: s.dir, C2SPort: s.c2sPort, ComponentPort: s.compPort, Users: s.users,
	})
	if err != nil {
		return nil, err
	}
	return &xmppServer{kind: "ejabberd", title: "ejabberd", host: srv.Host, componentDomain: srv.ComponentDomain,
		secret: srv.Secret, c2sAddr: srv.C2SAddr, componentAddr: srv.ComponentAddr, logPath: srv.LogPath, proc: srv}, nil
}

// ensureServer installs the server when it is missing, with its output in a
// log file under dir, and explains a failure.
func ensureServer(ctx context.Context, say func(string, ...any), k serverKind, name, dir string) error {
	if k.installed() {
		return nil
	}
	logPath := filepath.Join(dir, "install-"+name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return &problem{what: "cannot write " + logPath, err: err, fix: "check the permissions of the sandbox directory"}
	}
	defer log.Close()
	say("installing %s (first run only, %s; apt output in %s)…", k.title, k.installTime, logPath)
	start := time.Now()
	if err := k.install(ctx, log); err != nil {
		return &problem{
			what:   "installing " + k.title + " failed",
			err:    err,
			fix:    "run `bash scripts/install-" + name + ".sh` yourself (it needs root or sudo and apt-get) and read its output",
			detail: sandboxproc.Tail(logPath, 15),
		}
	}
	say("%s installed in %s", k.title, time.Since(start).Round(time.Second))
	return nil
}

// startFailure explains a server that did not start.
func startFailure(title, name string, err error) error {
	fix := "look at the log lines below; `make run` again starts afresh"
	msg := err.Error()
	switch {
	case strings.Contains(msg, "cannot reach"):
		fix = "the ejabberd user must be able to enter every directory above the sandbox: `chmod o+x` them, or pass -dir with a directory under /tmp"
	case strings.Contains(msg, "only as root"):
		fix = "run as root (sudo make run SERVER=ejabberd): the Debian ejabberdctl switches to the ejabberd user"
	case strings.Contains(msg, "address in use") || strings.Contains(msg, "eaddrinuse"):
		fix = "another process took a port; pass other ports (-c2s-port, -component-port)"
	}
	return &problem{what: title + " did not start", err: err, fix: fix}
}

func (s *xmppServer) String() string {
	return fmt.Sprintf("%s (pid %d)", s.title, s.proc.PID())
}
