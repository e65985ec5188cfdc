package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// Default ports, documented in -help and the README: the usual XMPP ones and
// ampd's usual operations endpoint. A taken port is replaced by a free one.
const (
	defaultC2SPort       = 5222
	defaultComponentPort = 5347
	defaultHTTPPort      = 9479
)

// startTimeout bounds bringing up the server, befriending and ampd's start;
// the installation has its own, longer bound.
const (
	startTimeout   = 2 * time.Minute
	installTimeout = 10 * time.Minute
	smokeTimeout   = 30 * time.Second
)

// demoUser is one demo account.
type demoUser struct{ name, password string }

var alice, bob = demoUser{"alice", "alice-pass"}, demoUser{"bob", "bob-pass"}

// flags are the command line.
type flags struct {
	server                      string
	ampd                        string
	dir                         string
	c2sPort, compPort, httpPort int
	smoke                       bool
}

func main() {
	var f flags
	flag.StringVar(&f.server, "server", "prosody", "XMPP server: "+strings.Join(serverkind.Names(), ", "))
	flag.StringVar(&f.ampd, "ampd", "bin/ampd", "the ampd binary to run (`make build` writes bin/ampd)")
	flag.StringVar(&f.dir, "dir", "", "sandbox directory (default .sandbox in the repository)")
	flag.IntVar(&f.c2sPort, "c2s-port", defaultC2SPort, "client port on 127.0.0.1 (a free one if taken)")
	flag.IntVar(&f.compPort, "component-port", defaultComponentPort, "component port on 127.0.0.1 that ampd connects to (a free one if taken)")
	flag.IntVar(&f.httpPort, "http-port", defaultHTTPPort, "ampd's /metrics, /healthz, /readyz port on 127.0.0.1 (a free one if taken)")
	flag.BoolVar(&f.smoke, "smoke", false, "start everything, check one AMP notify end to end, stop and exit")
	flag.Parse()

	// A closed pipe on stdout (`make run | head`) must not kill the sandbox
	// before it has stopped the processes it started.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is the whole sandbox: it returns when ctx ends (Ctrl-C), when a process
// dies, or, with -smoke, when the check is done; what it started is stopped.
func run(ctx context.Context, f flags, out io.Writer) (err error) {
	say := func(format string, args ...any) { fmt.Fprintf(out, "sandbox: "+format+"\n", args...) }
	kind, kerr := serverkind.Lookup(f.server)
	if kerr != nil {
		return &problem{what: kerr.Error(), fix: "use SERVER=prosody (the default), prosody13, ejabberd or ejabberd24"}
	}
	bin, dir, err := paths(f)
	if err != nil {
		return err
	}
	ictx, cancel := context.WithTimeout(ctx, installTimeout)
	err = ensureServer(ictx, say, kind, dir)
	cancel()
	if err != nil {
		return interrupted(ctx, err)
	}

	c2sPort, compPort, httpPort, err := choosePorts(say, f)
	if err != nil {
		return err
	}
	serverDir := filepath.Join(dir, f.server)
	// A fresh start every time: no leftover accounts, spool or held messages.
	for _, stale := range []string{serverDir, filepath.Join(dir, "ampd.db"), filepath.Join(dir, "ampd.log")} {
		if err := os.RemoveAll(stale); err != nil {
			return &problem{what: "cannot clear " + stale, err: err, fix: "remove it by hand (`make clean`)"}
		}
	}

	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	say("starting %s on 127.0.0.1:%d…", kind.Title, c2sPort)
	srv, err := startServer(sctx, kind, serverDir, c2sPort, compPort,
		map[string]string{alice.name: alice.password, bob.name: bob.password})
	if err != nil {
		return interrupted(ctx, startFailure(kind, err))
	}
	defer func() {
		say("stopping %s", srv)
		if serr := srv.Stop(); serr != nil && err == nil {
			err = &problem{what: "stopping " + kind.Title, err: serr}
		}
	}()
	say("%s is up; befriending %s and %s (mutual presence subscription)…", srv, alice.name, bob.name)
	if err := befriend(sctx, srv, alice, bob); err != nil {
		return interrupted(ctx, &problem{what: "befriending the demo accounts failed", err: err,
			fix: "read the server log below (all of it in " + srv.LogPath + ")", detail: srv.LogTail(15)})
	}

	httpListen := net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort))
	cfgPath, err := testserver.WriteAmpdConfig(dir, ampdConfigHeader, ampdConfig(ampdSettings{componentAddr: srv.ComponentAddr,
		componentDomain: srv.ComponentDomain, secret: srv.Secret, host: srv.Host, httpListen: httpListen}))
	if err != nil {
		return &problem{what: "cannot write ampd.toml in " + dir, err: err}
	}
	var echo io.Writer = out
	if f.smoke {
		echo = nil // the smoke run prints its own steps; ampd's log is in the file
	}
	say("starting ampd: %s run --config %s", f.ampd, rel(cfgPath))
	amp, err := startAmpd(bin, cfgPath, filepath.Join(dir, "ampd.log"), echo)
	if err != nil {
		return err
	}
	defer func() {
		say("stopping ampd (pid %d)", amp.PID())
		if serr := amp.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	if err := waitReady(sctx, amp, httpListen); err != nil {
		return interrupted(ctx, err)
	}
	say("ampd (pid %d) is connected and ready", amp.PID())

	if f.smoke {
		sm, cancel := context.WithTimeout(ctx, smokeTimeout)
		defer cancel()
		if err := smoke(sm, say, srv, httpListen, alice, bob); err != nil {
			return interrupted(ctx, err)
		}
		say("smoke: PASS (%s)", kind.Title)
		return nil
	}
	printBanner(out, srv, httpListen, dir)
	return watch(ctx, say, srv, amp)
}

// watch waits for Ctrl-C, or for either process to die on its own.
func watch(ctx context.Context, say func(string, ...any), srv *xmppServer, amp *testserver.Ampd) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			say("interrupted; stopping")
			return nil
		case <-amp.Done():
			return &problem{what: "ampd exited", err: amp.Err(), fix: "read its log (" + amp.LogPath() + ") and `make run` again",
				detail: sandboxproc.Tail(amp.LogPath(), 10)}
		case <-tick.C:
			if srv.PID() == 0 {
				return &problem{what: srv.Kind.Title + " exited", fix: "read its log (" + srv.LogPath + ") and `make run` again",
					detail: srv.LogTail(10)}
			}
		}
	}
}

// interrupted replaces err by a short note when it is only the result of
// Ctrl-C.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.New("sandbox: interrupted")
	}
	return err
}

// paths resolves the ampd binary and creates the sandbox directory.
func paths(f flags) (bin, dir string, err error) {
	bin, err = filepath.Abs(f.ampd)
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		return "", "", &problem{what: "no ampd binary at " + f.ampd, err: err, fix: "run `make build` first (`make run` does), or pass -ampd PATH"}
	}
	dir = f.dir
	if dir == "" {
		root, err := prosodytest.RepoRoot()
		if err != nil {
			return "", "", &problem{what: "cannot find the repository", err: err, fix: "run it from the repository (`make run`), or pass -dir"}
		}
		dir = filepath.Join(root, ".sandbox")
	}
	if dir, err = filepath.Abs(dir); err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return "", "", &problem{what: "cannot create the sandbox directory " + f.dir, err: err}
	}
	return bin, dir, nil
}

// choosePorts picks the three ports, saying when a default was taken.
func choosePorts(say func(string, ...any), f flags) (c2s, comp, http int, err error) {
	for _, p := range []struct {
		what      string
		preferred int
		dst       *int
	}{
		{"client (c2s)", f.c2sPort, &c2s},
		{"component", f.compPort, &comp},
		{"ampd HTTP", f.httpPort, &http},
	} {
		port, note, err := choosePort(p.what, p.preferred)
		if err != nil {
			return 0, 0, 0, err
		}
		if note != "" {
			say("%s", note)
		}
		*p.dst = port
	}
	return c2s, comp, http, nil
}

// rel shortens path relative to the working directory when it is below it.
func rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && !filepath.IsAbs(r) && r != ".." && (len(r) < 3 || r[:3] != "../") {
		return r
	}
	return path
}
