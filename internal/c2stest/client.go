package c2stest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

// Namespaces used by the client.
const (
	NSClient  = "jabber:client"
	NSStream  = "http://etherx.jabber.org/streams"
	NSSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	NSBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	NSSession = "urn:ietf:params:xml:ns:xmpp-session"
)

const (
	// maxStanza is the largest element the client accepts from the server.
	maxStanza = 8 << 20
	// maxBacklog bounds the stanzas kept after Expect skipped them; the
	// oldest are forgotten first.
	maxBacklog = 1024
	// writeTimeout bounds one write, so that a stuck server fails a test
	// instead of hanging it.
	writeTimeout = 10 * time.Second
	// closeTimeout is how long Close waits for the server to close its
	// side of the stream.
	closeTimeout = 2 * time.Second
)

// Client is one authenticated, bound client session.
type Client struct {
	// JID is the full JID the server bound (user@domain/resource).
	JID string

	conn     net.Conn
	domain   string
	features []byte

	writeMu sync.Mutex
	ids     atomic.Uint64

	incoming   chan received
	done       chan struct{} // closed by Close: the reader stops delivering
	readerDone chan struct{} // closed when the reader goroutine has returned
	closeOnce  sync.Once
	closeErr   error

	// Owned by the goroutine that receives (Next, Expect, ExpectNone, IQ).
	backlog []Stanza
	readErr error
}

// received is one element or the final error from the reader goroutine.
type received struct {
	raw []byte
	err error
}

// SendRaw writes s to the stream as it is. It may be called concurrently
// with any other method.
func (c *Client) SendRaw(s string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return fmt.Errorf("c2stest: %w", err)
	}
	if _, err := c.conn.Write([]byte(s)); err != nil {
		return fmt.Errorf("c2stest: send: %w", err)
	}
	return nil
}

// Presence sends available presence with the given priority.
func (c *Client) Presence(priority int) error {
	return c.SendRaw("<presence><priority>" + strconv.Itoa(priority) + "</priority></presence>")
}

// Unavailable sends unavailable presence.
func (c *Client) Unavailable() error {
	return c.SendRaw("<presence type='unavailable'/>")
}

// Features returns the stream features the server offered after
// authentication (a copy of the raw <stream:features/> element).
func (c *Client) Features() []byte {
	return append([]byte(nil), c.features...)
}

// NewID returns a stanza id unique within this client.
func (c *Client) NewID() string {
	return "c2stest-" + strconv.FormatUint(c.ids.Add(1), 10)
}

// Close ends the stream with </stream:stream>, waits briefly for the server
// to end its side, and closes the connection. Stanzas not yet received are
// discarded. Calling Close again returns the first result.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		sendErr := c.SendRaw("</stream:stream>")
		close(c.done)
		if sendErr == nil {
			select {
			case <-c.readerDone:
			case <-time.After(closeTimeout):
			}
		}
		err := c.conn.Close()
		<-c.readerDone
		if err != nil && !errors.Is(err, net.ErrClosed) {
			c.closeErr = fmt.Errorf("c2stest: close: %w", err)
		}
	})
	return c.closeErr
}

// read runs in its own goroutine from the end of Dial until the stream ends:
// it splits the stream and hands over a copy of every element, then the
// error that ended it (io.EOF after </stream:stream>). Every error is treated
// as final, an oversized element (over 1 MiB) included.
func (c *Client) read(sp *xmlstream.Splitter) {
	defer close(c.readerDone)
	for {
		raw, err := sp.Next()
		r := received{raw: append([]byte(nil), raw...), err: err}
		select {
		case c.incoming <- r:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}
