package component

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

// closeGrace bounds how long a stopping Run waits for the server to close
// its side of the stream after we sent </stream:stream>.
const closeGrace = time.Second

// ErrStreamClosed is the reason given when the server ended the stream with
// </stream:stream> without a stream error.
var ErrStreamClosed = errors.New("component: server closed the stream")

// connectOnce runs one connection from dial to close. It returns why the
// connection (or the attempt) ended.
func (c *Client) connectOnce(ctx context.Context) error {
	dialer := net.Dialer{Timeout: c.cfg.DialTimeout}
	address := c.address()
	conn, err := dialer.DialContext(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("component: connecting to %s: %w", address, err)
	}
	defer conn.Close()
	conn = quietConn(conn)
	dl := &deadlines{conn: conn}
	dl.set(time.Now().Add(c.cfg.HandshakeTimeout))
	stopWatching := context.AfterFunc(ctx, dl.stop)
	defer stopWatching()

	in := &hookedReader{r: conn}
	sp := xmlstream.NewSplitterSize(in, c.cfg.MaxStanzaBytes, readSize)
	if err := handshake(sp, conn, c.cfg.Domain, c.cfg.Secret); err != nil {
		return err
	}
	dl.set(time.Time{})
	c.log.Info("component: connected", "address", address, "domain", c.cfg.Domain, "queued", c.out.len())

	c.connected.Store(true)
	sessionCtx, cancelSession := context.WithCancel(ctx)
	writerDone := make(chan error, 1)
	c.direct.attach(conn, dl, c.cfg.WriteTimeout)
	writing := make(chan struct{})
	c.mu.Lock()
	c.writing = writing
	c.mu.Unlock()
	go func() {
		err := c.writeLoop(sessionCtx, ctx, conn, dl)
		c.mu.Lock()
		c.writing = nil
		c.mu.Unlock()
		close(writing)
		writerDone <- err
	}()
	c.h.Connected()
	readErr := c.readLoop(sp, in)
	cancelSession()
	writeErr := <-writerDone
	c.direct.detach()
	c.connected.Store(false)

	reason := readErr
	switch {
	case ctx.Err() != nil:
		reason = ctx.Err()
	case writeErr != nil:
		reason = writeErr
	default:
		// The server ended the stream (or broke it): end ours too.
		dl.setWrite(time.Now().Add(closeGrace))
		_, _ = io.WriteString(conn, streamClose)
	}
	c.h.Disconnected(reason)
	return reason
}

// readLoop passes every stanza to the Handler until the stream ends, through a
// dispatcher that handles them on a second goroutine; when it returns, the
// Handler has seen every stanza read. An oversized stanza has already been skipped by the
// splitter: its first bytes go to an OversizeHandler, and the connection goes on.
func (c *Client) readLoop(sp *xmlstream.Splitter, in *hookedReader) error {
	disp := startDispatcher(c.h, c)
	in.before = disp.handOver
	defer func() {
		in.before = nil
		disp.stop()
	}()
	for {
		el, err := sp.Next()
		var tooLarge *xmlstream.TooLargeError
		switch {
		case errors.As(err, &tooLarge):
			c.log.Warn("component: skipped a stanza larger than component.max_stanza_bytes; raise it if this stanza was legitimate",
				"element", tooLarge.Name, "limit_bytes", tooLarge.Limit, "answered", disp.over != nil)
			disp.addOversized(tooLarge.Prefix)
			continue
		case errors.Is(err, io.EOF):
			return ErrStreamClosed
		case err != nil:
			return fmt.Errorf("component: reading: %w", err)
		}
		if string(xmlstream.Name(el)) == "stream:error" {
			return parseStreamError(el)
		}
		disp.add(el)
	}
}

// writeLoop writes queued stanzas in batches (one Write per batch) and a
// keepalive space when idle, until ctx (the session) ends or a Write fails
// (then it closes the connection, which ends readLoop). When the session
// ends because runCtx is done, it closes the stream politely.
func (c *Client) writeLoop(ctx, runCtx context.Context, conn net.Conn, dl *deadlines) error {
	keepAlive := time.NewTimer(c.cfg.KeepAlive)
	defer keepAlive.Stop()
	var batch []byte
	write := func(b []byte) error {
		dl.setWrite(time.Now().Add(c.cfg.WriteTimeout))
		if _, err := conn.Write(b); err != nil {
			conn.Close()
			return fmt.Errorf("component: writing: %w", err)
		}
		keepAlive.Reset(c.cfg.KeepAlive)
		return nil
	}
	for {
		if ctx.Err() == nil {
			c.direct.mu.Lock() // one writer at a time: this loop or Flush
			var n int
			var err error
			if batch, n = c.out.peek(batch[:0]); n > 0 {
				if err = write(batch); err == nil {
					c.out.drop(n)
				}
			}
			c.direct.mu.Unlock()
			if err != nil {
				return err // the batch stays queued for the next connection
			}
			if n > 0 {
				continue
			}
		}
		select {
		case <-c.out.wake:
		case <-keepAlive.C:
			if err := write([]byte{' '}); err != nil {
				return err
			}
		case <-ctx.Done():
			if runCtx.Err() != nil {
				// Run is stopping: write what is queued (verdicts the
				// server is waiting for), then close our stream; readLoop
				// waits (at most closeGrace) for the server to close its.
				dl.stop()
				c.direct.mu.Lock()
				if batch, n := c.out.peek(batch[:0]); n > 0 {
					if _, err := conn.Write(batch); err == nil {
						c.out.drop(n)
					}
				}
				_, _ = io.WriteString(conn, streamClose)
				c.direct.conn = nil // no Flush after our stream's end
				c.direct.mu.Unlock()
			}
			return nil
		}
	}
}

// deadlines serialises deadline changes so that the shutdown deadline, once
// set, is never replaced by a longer one.
type deadlines struct {
	mu       sync.Mutex
	conn     net.Conn
	stopping bool
}

// set sets the read and write deadline unless the connection is stopping.
func (d *deadlines) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.stopping {
		d.conn.SetDeadline(t)
	}
}

// setWrite sets the write deadline unless the connection is stopping.
func (d *deadlines) setWrite(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.stopping {
		d.conn.SetWriteDeadline(t)
	}
}

// stop gives everything on the connection closeGrace to finish; later
// deadline changes are ignored. Calling it again changes nothing.
func (d *deadlines) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.stopping {
		d.stopping = true
		d.conn.SetDeadline(time.Now().Add(closeGrace))
	}
}
