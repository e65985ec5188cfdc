package component

import (
	"context"
	"testing"

	"github.com/ampd-xmpp/ampd/component/componenttest"
)

// With fallback addresses (the nodes of a cluster) a failed attempt moves to the next one, and
// a connection lost there moves on again, round and round: the connection follows a surviving
// node.
func TestFallbackAddresses(t *testing.T) {
	start := func() *componenttest.FakeServer {
		srv, err := componenttest.Start("127.0.0.1:0", componenttest.Config{Domain: testDomain, Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv
	}
	down := start()
	downAddr := down.Addr()
	down.Close() // nothing listens there any more
	b, c := start(), start()
	cfg := testConfig(downAddr)
	cfg.Fallbacks = []string{b.Addr(), c.Addr()}
	rec := newRecorder()
	client := New(cfg, rec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- client.Run(ctx) }()
	defer func() { cancel(); <-done }()

	acceptCtx, acceptCancel := context.WithTimeout(context.Background(), eventually)
	defer acceptCancel()
	connB, err := b.Accept(acceptCtx)
	if err != nil {
		t.Fatalf("no connection to the first fallback after the first address failed: %v", err)
	}
	receive(t, rec.connected, "Connected call")
	connB.Close()
	if _, err := c.Accept(acceptCtx); err != nil {
		t.Fatalf("no connection to the next address after the connection was lost: %v", err)
	}
	receive(t, rec.connected, "Connected call after the move")
	if n := b.Attempts(); n != 1 {
		t.Errorf("%d attempts at the address whose connection was lost; want the next address tried first", n)
	}
}
