// Package componenttest provides a fake XMPP server side of XEP-0114 for
// tests (and load tests) of component clients, on real loopback sockets.
//
// A FakeServer accepts connections, checks the handshake against its secret
// (answering <handshake/> or a not-authorized stream error) and then hands
// each authenticated connection to the test as a *Conn, through which the
// test sends raw bytes to the component and receives the stanzas the
// component wrote, exactly as written.
package componenttest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

// StreamErrorNotAuthorized is what the server sends for a wrong handshake.
const StreamErrorNotAuthorized = "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"

// Config configures a FakeServer.
type Config struct {
	Domain         string // the component domain the server expects in 'to'
	Secret         string // the shared secret
	MaxStanzaBytes int    // largest stanza accepted from the component (default 1 MiB)
	// OnStanza, if set, receives every stanza from every connection
	// (raw is valid only during the call; called from the connection's
	// reader goroutine) instead of queueing them for Conn.Recv. Load tests
	// use it to avoid buffering.
	OnStanza func(c *Conn, raw []byte)
}

// FakeServer is a listening fake XEP-0114 server.
type FakeServer struct {
	cfg        Config
	ln         net.Listener
	conns      chan *Conn
	attempts   atomic.Int64
	rejections atomic.Int64
	streamSeq  atomic.Int64

	quit   chan struct{} // closed by Close: unblocks readers waiting for Recv
	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on addr (e.g. "127.0.0.1:0", or the address of a previous
// server to simulate a restart) and serves until Close.
func Start(addr string, cfg Config) (*FakeServer, error) {
	if cfg.MaxStanzaBytes <= 0 {
		cfg.MaxStanzaBytes = 1 << 20
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("componenttest: %w", err)
	}
	s := &FakeServer{cfg: cfg, ln: ln, conns: make(chan *Conn, 64), quit: make(chan struct{}), open: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the listening address, host:port.
func (s *FakeServer) Addr() string { return s.ln.Addr().String() }

// Attempts returns how many handshakes were received (right or wrong).
func (s *FakeServer) Attempts() int { return int(s.attempts.Load()) }

// Rejections returns how many handshakes were refused with not-authorized.
func (s *FakeServer) Rejections() int { return int(s.rejections.Load()) }

// Accept returns the next authenticated connection, or an error when ctx
// ends first. Up to 64 connections wait to be accepted; more are served but
// not offered (use Config.OnStanza to see their stanzas).
func (s *FakeServer) Accept(ctx context.Context) (*Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("componenttest: no connection: %w", ctx.Err())
	}
}

// Close stops listening, closes every connection abruptly and waits for all
// goroutines of the server to end. Calling it again is harmless.
func (s *FakeServer) Close() error {
	s.mu.Lock()
	if !s.closed {
		close(s.quit)
	}
	s.closed = true
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *FakeServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.open[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(nc)
	}
}

// serve runs one connection: handshake, then reading stanzas until it ends.
func (s *FakeServer) serve(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.open, nc)
		s.mu.Unlock()
		nc.Close()
	}()
	counter := &keepaliveCounter{r: nc}
	sp := xmlstream.NewSplitter(counter, s.cfg.MaxStanzaBytes)
	hdr, err := sp.Header()
	if err != nil {
		return
	}
	id := fmt.Sprintf("stream-%d", s.streamSeq.Add(1))
	fmt.Fprintf(nc, "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='%s' from='%s'>", id, hdr.Get("to"))
	if hdr.Get("to") != s.cfg.Domain {
		fmt.Fprint(nc, "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>")
		return
	}
	el, err := sp.Next()
	if err != nil {
		return
	}
	s.attempts.Add(1)
	sum := sha1.Sum([]byte(id + s.cfg.Secret))
	if string(el) != "<handshake>"+hex.EncodeToString(sum[:])+"</handshake>" {
		s.rejections.Add(1)
		fmt.Fprint(nc, StreamErrorNotAuthorized+"</stream:stream>")
		return
	}
	if _, err := fmt.Fprint(nc, "<handshake/>"); err != nil {
		return
	}
	c := &Conn{nc: nc, counter: counter, recv: make(chan []byte, 1024), done: make(chan struct{}), quit: s.quit}
	select {
	case s.conns <- c:
	default: // nobody is collecting connections: fine for OnStanza users
	}
	c.read(sp, s.cfg.OnStanza)
}

// Conn is one authenticated component connection on the server side.
type Conn struct {
	nc      net.Conn
	counter *keepaliveCounter
	recv    chan []byte
	done    chan struct{}
	quit    <-chan struct{}
	polite  atomic.Bool
	err     error // why reading ended; readable after done is closed
	writeMu sync.Mutex
	paused  sync.Mutex // held by StopReading: the reader waits on it before each stanza
}

// StopReading makes the server stop reading from the component (at most the stanza being
// read still arrives) until ResumeReading: the component's writes then fill the socket
// buffers and block, as with a server that has stalled.
func (c *Conn) StopReading() { c.paused.Lock() }

// ResumeReading undoes StopReading.
func (c *Conn) ResumeReading() { c.paused.Unlock() }

// SetReadBuffer sets the connection's socket receive buffer (SO_RCVBUF), which also ends the
// kernel's tuning of it: on loopback that buffer grows to tens of MiB, which a test of a
// stalled server would otherwise have to fill before the component notices.
func (c *Conn) SetReadBuffer(bytes int) error {
	tc, ok := c.nc.(*net.TCPConn)
	if !ok {
		return fmt.Errorf("componenttest: not a TCP connection")
	}
	return tc.SetReadBuffer(bytes)
}

func (c *Conn) read(sp *xmlstream.Splitter, onStanza func(*Conn, []byte)) {
	defer close(c.done)
	defer close(c.recv)
	for {
		c.paused.Lock()
		c.paused.Unlock() // an empty critical section: it waits while StopReading holds the lock
		el, err := sp.Next()
		var tooLarge *xmlstream.TooLargeError
		switch {
		case errors.As(err, &tooLarge):
			continue
		case err != nil:
			if errors.Is(err, io.EOF) {
				c.polite.Store(true)
				c.Send("</stream:stream>")
			}
			c.err = err
			return
		}
		if onStanza != nil {
			onStanza(c, el)
			continue
		}
		select {
		case c.recv <- append([]byte(nil), el...):
		case <-c.quit:
			c.err = errors.New("componenttest: server closed")
			return
		}
	}
}

// Send writes raw bytes to the component as they are (any bytes: a test may
// send garbage or half a stanza).
func (c *Conn) Send(raw string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.nc.Write([]byte(raw))
	return err
}

// SendBytes is Send without the copy of a string conversion, for load
// generators: raw may be reused once it returns.
func (c *Conn) SendBytes(raw []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.nc.Write(raw)
	return err
}

// StreamError sends <stream:error> with the condition, closes the stream
// and the connection.
func (c *Conn) StreamError(condition string) error {
	err := c.Send("<stream:error><" + condition + " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>")
	c.Close()
	return err
}

// Close closes the connection abruptly (no </stream:stream>).
func (c *Conn) Close() error { return c.nc.Close() }

// Recv returns the next stanza the component wrote, or an error when the
// connection ended (and every stanza was received) or ctx ended first.
func (c *Conn) Recv(ctx context.Context) ([]byte, error) {
	select {
	case el, ok := <-c.recv:
		if !ok {
			return nil, fmt.Errorf("componenttest: connection ended: %w", c.err)
		}
		return el, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("componenttest: no stanza: %w", ctx.Err())
	}
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ClosedPolitely reports whether the component ended its stream with
// </stream:stream> (meaningful once Done is closed).
func (c *Conn) ClosedPolitely() bool { return c.polite.Load() }

// Keepalives returns how many reads from the component consisted of
// whitespace only, i.e. whitespace keepalives.
func (c *Conn) Keepalives() int { return int(c.counter.n.Load()) }

// keepaliveCounter counts reads that return only whitespace.
type keepaliveCounter struct {
	r interface{ Read([]byte) (int, error) }
	n atomic.Int64
}

func (k *keepaliveCounter) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if n > 0 && strings.TrimSpace(string(p[:n])) == "" {
		k.n.Add(1)
	}
	return n, err
}
