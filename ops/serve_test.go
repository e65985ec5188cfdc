package ops

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

var discard = slog.New(slog.DiscardHandler)

func TestServeListenerAndShutdown(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, NewHandler(prometheus.NewRegistry(), nil, nil, nil), discard) }()

	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("/readyz = %d %q, want 200 \"ok\\n\"", resp.StatusCode, body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeListener after cancel = %v, want nil", err)
	}
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("still accepting connections after shutdown")
	}
}

func TestServeAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = Serve(context.Background(), busy.Addr().String(), http.NotFoundHandler(), discard)
	if err == nil {
		t.Fatal("Serve on a port in use returned nil")
	}
	for _, want := range []string{"ops: cannot listen on", busy.Addr().String(), "http.listen"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestServeDisabled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, "", http.NotFoundHandler(), discard) }()
	select {
	case err := <-done:
		t.Fatalf("Serve(\"\") returned %v before ctx was cancelled", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve(\"\") = %v, want nil", err)
	}
}

func TestServeRealListener(t *testing.T) {
	// Serve itself on port 0: the address is not known to the test, so it only checks that
	// Serve starts and stops cleanly.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, "127.0.0.1:0", http.NotFoundHandler(), discard) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}
