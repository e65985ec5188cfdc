package integration

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/daemon"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/metrics"
)

const password = "pass"

// wait bounds every expectation; generous because CI machines are shared.
const wait = 15 * time.Second

func TestMain(m *testing.M) {
	if err := ensureServerInstalled(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "integration: cannot install %s: %v\n", serverKind(), err)
		os.Exit(1)
	}
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath)) // the ampd binary built for this run
	}
	os.Exit(code)
}

// env is one sandbox: a Prosody and an in-process ampd in front of it.
type env struct {
	t      *testing.T
	srv    *xmppServer
	cfg    *config.Config
	ampd   *ampdProc
	prefix string
	users  atomic.Int64
}

type envOptions struct {
	server serverOptions
	edit   func(*config.Config)
	// external: the test runs ampd itself (e.g. the binary, to kill it); no in-process ampd.
	external bool
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration tests need a real XMPP server; skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	srv, err := startServer(ctx, t.TempDir(), o.server)
	if err != nil {
		t.Fatalf("starting %s: %v", serverKind(), err)
	}
	return envOn(t, srv, o)
}

// envOn is newEnv on a server the test started (and stops when it ends).
func envOn(t *testing.T, srv *xmppServer, o envOptions) *env {
	t.Helper()
	e := &env{t: t, srv: srv, prefix: strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log tail:\n%s", serverKind(), srv.LogTail(60))
		}
		srv.Stop()
	})
	cfg := config.Default()
	cfg.Component.Address = srv.ComponentAddr
	cfg.Component.Domain = srv.ComponentDomain
	cfg.Component.Secret = srv.Secret
	cfg.Component.ReconnectMin = 100 * time.Millisecond
	cfg.Component.ReconnectMax = time.Second
	cfg.Server.Hosts = []string{srv.Host}
	cfg.HTTP.Listen = ""
	cfg.Store.Path = t.TempDir() + "/ampd.db"
	if o.edit != nil {
		o.edit(cfg)
	}
	e.cfg = cfg
	if !o.external {
		e.ampd = e.startAmpd()
	}
	return e
}

// ampdProc is one in-process ampd.
type ampdProc struct {
	d       *daemon.Daemon
	metrics *metrics.Metrics
	reg     *prometheus.Registry
	cancel  context.CancelFunc
	done    chan error
}

func (e *env) startAmpd() *ampdProc {
	e.t.Helper()
	p := &ampdProc{reg: prometheus.NewRegistry(), done: make(chan error, 1)}
	p.metrics = metrics.New(p.reg)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("AMPD_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := daemon.New(e.cfg, log, p.metrics, daemon.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	p.d = d
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- d.Run(ctx) }()
	e.t.Cleanup(p.stop)
	e.eventually("ampd ready", func() error { return d.Ready() })
	return p
}

func (p *ampdProc) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	<-p.done
	p.cancel = nil
}

// eventually polls cond until it returns nil or the wait is over.
func (e *env) eventually(what string, cond func() error) {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: still not true after %v: %v", what, wait, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// user registers a fresh account (unique per test) and returns its bare JID's localpart.
func (e *env) user(name string) string {
	e.t.Helper()
	u := fmt.Sprintf("%s-%s-%d", e.prefix, name, e.users.Add(1))
	u = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, u)
	if err := e.srv.Register(u, password); err != nil {
		e.t.Fatalf("register %s: %v", u, err)
	}
	return u
}

func (e *env) jid(user string) string { return user + "@" + e.srv.Host }

// client logs user in with resource and, if priority is not nil, sends available presence
// and waits until ampd has seen it.
func (e *env) client(user, resource string, priority *int) *c2stest.Client {
	e.t.Helper()
	c := e.clientAt(e.srv.C2SAddr, user, resource)
	if priority != nil {
		if err := c.Presence(*priority); err != nil {
			e.t.Fatal(err)
		}
		e.waitResource(e.jid(user), resource, true)
	}
	return c
}

// clientAt logs user in with resource at the client port c2sAddr (a node of a cluster).
func (e *env) clientAt(c2sAddr, user, resource string) *c2stest.Client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := c2stest.Dial(ctx, c2sAddr, user, e.srv.Host, password, resource)
	if err != nil {
		e.t.Fatalf("login %s/%s: %v", user, resource, err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

func prio(p int) *int { return &p }

// waitResource waits until ampd's presence table does (or does not) list bare/resource.
func (e *env) waitResource(bare, resource string, available bool) {
	e.t.Helper()
	e.eventually("presence of "+bare+"/"+resource+" in ampd", func() error {
		for _, r := range e.ampd.d.Presence().Resources(bare) {
			if r.Name == resource {
				if available {
					return nil
				}
				return fmt.Errorf("still available")
			}
		}
		if available {
			return fmt.Errorf("not available yet")
		}
		return nil
	})
}

// befriend gives a and b a mutual presence subscription (both), so that the §9 policy lets
// each see the other's presence.
func (e *env) befriend(a, b *c2stest.Client, aUser, bUser string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// Subscription requests reach only "interested" resources: those that fetched the roster
	// and are available (RFC 6121 §3.1.3).
	for _, c := range []*c2stest.Client{a, b} {
		if _, err := c.IQ(ctx, `<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`); err != nil {
			e.t.Fatal(err)
		}
		must(e.t, c.Presence(0))
	}
	subscribe := func(from, to *c2stest.Client, toUser string, fromUser string) {
		must(e.t, from.SendRaw(`<presence to='`+e.jid(toUser)+`' type='subscribe'/>`))
		if _, err := to.Expect(ctx, c2stest.All(c2stest.Named("presence"), c2stest.WithType("subscribe"))); err != nil {
			e.t.Fatalf("subscription request to %s: %v", toUser, err)
		}
		must(e.t, to.SendRaw(`<presence to='`+e.jid(fromUser)+`' type='subscribed'/>`))
	}
	subscribe(a, b, bUser, aUser)
	subscribe(b, a, aUser, bUser)
	// Both rosters now say 'both'; wait for the pushes so later fetches see them. Each fetch
	// has a few seconds of its own: an ejabberd cluster once left one unanswered (CI, 23.01,
	// the node's log silent), and one lost answer must not use up the whole wait.
	for _, c := range []*c2stest.Client{a, b} {
		e.eventually("roster both", func() error {
			fctx, fcancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer fcancel()
			res, err := c.IQ(fctx, `<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`)
			if err != nil {
				e.t.Logf("roster fetch for the subscription check: %v (asking again)", err)
				return err
			}
			if strings.Count(string(res.Raw), "subscription='both'")+strings.Count(string(res.Raw), `subscription="both"`) == 0 {
				return fmt.Errorf("roster: %s", res.Raw)
			}
			return nil
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ctxWait() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), wait)
}
