package daemon

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/component/componenttest"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/metrics"
)

// capture is a slog.Handler that keeps every record, for tests of what ampd logs.
type capture struct {
	mu      *sync.Mutex
	records *[]slog.Record
}

func newCapture() capture { return capture{mu: new(sync.Mutex), records: new([]slog.Record)} }

func (c capture) Enabled(context.Context, slog.Level) bool { return true }
func (c capture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c capture) WithGroup(string) slog.Handler            { return c }
func (c capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.records = append(*c.records, r.Clone())
	return nil
}

// logged returns a copy of the records so far.
func (c capture) logged() []slog.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(*c.records)
}

// One start and one clean stop (the context cancelled, as SIGTERM does in ampd run): the held
// messages are reported once, and nothing is logged at WARN or above, since nothing is wrong.
func TestCleanStartAndStopLogs(t *testing.T) {
	srv, err := componenttest.Start("127.0.0.1:0", componenttest.Config{Domain: domain, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := config.Default()
	cfg.Component.Address = srv.Addr()
	cfg.Component.Domain = domain
	cfg.Component.Secret = secret
	cfg.Server.Hosts = []string{host}
	cfg.Store.Path = t.TempDir() + "/ampd.db"
	logs := newCapture()
	d, err := New(cfg, slog.New(logs), metrics.New(prometheus.NewRegistry()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	actx, acancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer acancel()
	conn, err := srv.Accept(actx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := conn.Send(`<message from='` + host + `' to='amp.localhost'><privilege xmlns='urn:xmpp:privilege:2'><perm access='presence' type='managed_entity'/></privilege></message>`); err != nil {
		cancel()
		t.Fatal(err)
	}
	if _, err := conn.Recv(actx); err != nil { // the announcement: ampd is connected
		cancel()
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after a clean stop = %v, want nil", err)
	}

	var loaded int
	var stopping bool
	for _, r := range logs.logged() {
		switch {
		case r.Level >= slog.LevelWarn:
			t.Errorf("a clean start and stop logged %s %q", r.Level, r.Message)
		case r.Message == "held messages loaded":
			loaded++
		case strings.HasPrefix(r.Message, "disconnected from the XMPP server; stopping"):
			stopping = true
		}
	}
	if loaded != 1 {
		t.Errorf("\"held messages loaded\" logged %d times, want once", loaded)
	}
	if !stopping {
		t.Error("the stop is not logged (want INFO \"disconnected from the XMPP server; stopping\")")
	}
}
