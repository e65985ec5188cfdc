package component

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Handler receives what happens on the connection. The methods are called
// one at a time, never concurrently: Connected, then Stanza (and Idle, if the
// Handler is an Idler) from a goroutine of the connection, then Disconnected
// once every stanza read has been handled.
type Handler interface {
	// Connected is called after each successful handshake, before any
	// stanza of that connection is passed to Stanza.
	Connected()
	// Stanza receives one top-level element exactly as the server sent it.
	// raw is valid only during the call.
	Stanza(raw []byte)
	// Disconnected is called once after each Connected, when that
	// connection has ended, with the reason (a *StreamError when the
	// server sent one; the context's error when Run is stopping).
	Disconnected(err error)
}

// Client is an XEP-0114 component connection kept up by Run.
type Client struct {
	cfg       Config
	h         Handler
	log       *slog.Logger
	out       *queue
	direct    directWriter // Flush's access to the connection, shared with the writer goroutine
	connected atomic.Bool
	// next indexes addresses(): where the next attempt goes (Run's goroutine only).
	next int

	mu      sync.Mutex
	lastErr error
	// writing is closed when the current connection's writer goroutine has ended (nil while no
	// connection is up): SendWait waits for room only while something can make it.
	writing chan struct{}
}

// New returns a Client for cfg (zero fields take their defaults) that
// reports to h. Nothing happens until Run.
func New(cfg Config, h Handler) *Client {
	cfg = cfg.withDefaults()
	return &Client{cfg: cfg, h: h, log: cfg.Logger, out: newQueue(cfg.MaxQueued)}
}

// Send queues a copy of stanza to be written to the server and returns
// without waiting for the network. It returns ErrQueueFull when the queue
// (Config.MaxQueued bytes) has no room. It may be called from any goroutine,
// also while disconnected: the stanza is written once a connection is up.
// See the package documentation for the delivery guarantee.
func (c *Client) Send(stanza []byte) error {
	return c.out.push(stanza)
}

// SendWait is Send for a caller that can wait: while a connection is up and the queue is
// full, it waits for the writer to make room instead of failing. A server that reads slowly
// then slows down the caller — ampd's handling goroutine, the reader behind it, TCP behind
// that — instead of making ampd drop answers, and memory stays bounded by the queue (a
// stanza larger than the whole queue waits until the queue is empty, then goes alone).
// Without a connection, or once the writer has ended, it fails with ErrQueueFull as Send
// does: nothing would make room.
func (c *Client) SendWait(stanza []byte) error {
	for {
		err := c.out.pushOr(stanza, true)
		if !errors.Is(err, ErrQueueFull) {
			return err
		}
		c.out.wakeWriter() // a group's answers do not wake it (beginGroup): room needs it now
		c.mu.Lock()
		writing := c.writing
		c.mu.Unlock()
		if writing == nil {
			return err
		}
		select {
		case <-c.out.room:
		case <-writing:
			return err
		}
	}
}

// Connected reports whether a connection is currently authenticated: true
// from just before Handler.Connected until just before Handler.Disconnected.
func (c *Client) Connected() bool { return c.connected.Load() }

// Queued returns the number of stanzas accepted by Send and not yet written.
func (c *Client) Queued() int { return c.out.len() }

// LastError returns why the most recent connection or connection attempt
// ended (nil before the first one ended). Attempts that fail before the
// handshake completes do not reach the Handler, so this is where a caller
// sees e.g. ErrNotAuthorized.
func (c *Client) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Run connects, authenticates and reads until ctx is done, reconnecting with
// jittered exponential backoff after every failure. It returns ctx's error
// once the connection is closed (politely, with </stream:stream>, when it was
// up) and every goroutine it started has ended. It returns at once with an
// error if the Config lacks Address or Domain. Run must not be called twice
// at the same time.
func (c *Client) Run(ctx context.Context) error {
	if err := c.cfg.validate(); err != nil {
		return err
	}
	wait := c.cfg.BackoffMin
	for {
		started := time.Now()
		err := c.connectOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.mu.Lock()
		c.lastErr = err
		c.mu.Unlock()
		c.logFailure(err)
		c.next = (c.next + 1) % len(c.addresses())
		if time.Since(started) >= c.cfg.ResetBackoffAfter {
			wait = c.cfg.BackoffMin
		}
		if !sleep(ctx, jitter(wait)) {
			return ctx.Err()
		}
		wait = min(2*wait, c.cfg.BackoffMax)
	}
}

// logFailure logs why a connection or attempt ended, telling the operator
// what to do where that is known.
func (c *Client) logFailure(err error) {
	var se *StreamError
	switch {
	case errors.Is(err, ErrNotAuthorized):
		c.log.Error("component: the server rejected the handshake; check component.secret (it must equal the component secret configured on the XMPP server)",
			"address", c.address(), "domain", c.cfg.Domain, "err", err)
	case errors.As(err, &se):
		c.log.Error("component: the server closed the stream with an error", "condition", se.Condition, "text", se.Text, "domain", c.cfg.Domain)
	default:
		c.log.Warn("component: connection failed, will retry", "address", c.address(), "err", err)
	}
}

// addresses are the server's component listeners, in the order they are tried.
func (c *Client) addresses() []string {
	return append([]string{c.cfg.Address}, c.cfg.Fallbacks...)
}

// address is where the next (or current) attempt goes.
func (c *Client) address() string { return c.addresses()[c.next] }

// jitter returns a duration in [d/2, d] ("equal jitter"), so that many
// clients restarted together do not reconnect in lockstep.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(half+1)
}

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
