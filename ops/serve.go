package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the operations server. Scrapes and probes are small; the limits only keep a
// stuck or slow client from holding a connection for ever.
const (
	readHeaderTimeout = 5 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownTimeout   = 5 * time.Second
)

// Serve listens on addr and serves h until ctx is cancelled, then shuts down gracefully and
// returns nil. An empty addr disables the endpoint: Serve then only waits for ctx. A listening
// error names the configuration key to fix.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	if addr == "" {
		log.Info("ops: HTTP endpoint disabled (http.listen is empty)")
		<-ctx.Done()
		return nil
	}
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, h, log)
}

// Listen opens the TCP listener of the operations endpoint. The daemon may call it at
// start-up, before anything else, so that a port in use stops it at once.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ops: cannot listen on %q: %w; set http.listen to a free host:port, or to \"\" to disable the endpoint", addr, err)
	}
	return ln, nil
}

// ServeListener serves h on ln until ctx is cancelled, then stops accepting, lets requests in
// flight finish (for up to a few seconds) and returns nil. It closes ln.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("ops: serving /metrics, /healthz, /readyz", "addr", ln.Addr().String())

	select {
	case err := <-served: // the listener failed before any shutdown
		return fmt.Errorf("ops: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	// ctx is done; the shutdown needs a context of its own to get its grace period.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("ops: requests still running at shutdown were cut off", "err", err)
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops: serving on %s: %w", ln.Addr(), err)
	}
	log.Info("ops: stopped")
	return nil
}
