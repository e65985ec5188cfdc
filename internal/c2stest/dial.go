package c2stest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/xmlscan"
	"github.com/ampd-xmpp/ampd/xmlstream"
)

// Dial connects to the server's c2s port at addr (host:port), opens a stream
// to domain, authenticates user with SASL PLAIN, restarts the stream, binds
// resource and establishes a session if the server offers one. It sends no
// presence. ctx bounds the whole negotiation.
func Dial(ctx context.Context, addr, user, domain, password, resource string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("c2stest: %w", err)
	}
	// The negotiation reads synchronously: a cancelled ctx unblocks it by
	// expiring the connection's deadline.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	c := &Client{
		conn:       conn,
		domain:     domain,
		incoming:   make(chan received, maxBacklog),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	sp, err := c.negotiate(user, password, resource)
	if !stop() || err != nil {
		conn.Close()
		if err == nil {
			err = fmt.Errorf("c2stest: %w", ctx.Err())
		}
		return nil, err
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("c2stest: %w", err)
	}
	go c.read(sp)
	return c, nil
}

// negotiate runs the stream negotiation and returns the splitter of the final
// stream, positioned after the bind (and session) replies.
func (c *Client) negotiate(user, password, resource string) (*xmlstream.Splitter, error) {
	sp, features, err := c.openStream()
	if err != nil {
		return nil, err
	}
	if !offersPlain(features) {
		return nil, fmt.Errorf("c2stest: server does not offer SASL PLAIN on this stream: %s", features.Raw)
	}
	creds := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := c.SendRaw("<auth xmlns='" + NSSASL + "' mechanism='PLAIN'>" + creds + "</auth>"); err != nil {
		return nil, err
	}
	outcome, err := next(sp)
	if err != nil {
		return nil, err
	}
	if outcome.Name != "success" || outcome.NS != NSSASL {
		return nil, fmt.Errorf("c2stest: authentication of %s failed: %s", user, outcome.Raw)
	}

	// The server sends nothing after <success/> until the client restarts
	// the stream, so the first splitter has nothing buffered to lose.
	sp, features, err = c.openStream()
	if err != nil {
		return nil, err
	}
	c.features = features.Raw

	bind := "<iq type='set' id='bind-1'><bind xmlns='" + NSBind + "'><resource>" +
		string(xmlscan.AppendEscaped(nil, resource)) + "</resource></bind></iq>"
	reply, err := c.request(sp, bind, "bind-1")
	if err != nil {
		return nil, err
	}
	root, ok := reply.root()
	b, okBind := root.Child(NSBind, "bind")
	j, okJID := b.Child(NSBind, "jid")
	if !ok || !okBind || !okJID {
		return nil, fmt.Errorf("c2stest: bind reply without a jid: %s", reply.Raw)
	}
	if c.JID, err = j.Text(); err != nil {
		return nil, fmt.Errorf("c2stest: bind reply: %w", err)
	}

	if features.Has(NSSession, "session") {
		session := "<iq type='set' id='session-1'><session xmlns='" + NSSession + "'/></iq>"
		if _, err := c.request(sp, session, "session-1"); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// openStream sends a stream header and reads the server's header and stream
// features with a new splitter.
func (c *Client) openStream() (*xmlstream.Splitter, Stanza, error) {
	header := "<?xml version='1.0'?><stream:stream xmlns='" + NSClient + "' xmlns:stream='" + NSStream +
		"' to='" + string(xmlscan.AppendEscaped(nil, c.domain)) + "' version='1.0'>"
	if err := c.SendRaw(header); err != nil {
		return nil, Stanza{}, err
	}
	sp := xmlstream.NewSplitter(c.conn, maxStanza)
	h, err := sp.Header()
	if err != nil {
		return nil, Stanza{}, fmt.Errorf("c2stest: stream header: %w", err)
	}
	if h.NS() != NSClient {
		return nil, Stanza{}, fmt.Errorf("c2stest: stream header has namespace %q: %s", h.NS(), h.Raw)
	}
	features, err := next(sp)
	if err != nil {
		return nil, Stanza{}, err
	}
	if features.Name != "features" || features.NS != NSStream {
		return nil, Stanza{}, fmt.Errorf("c2stest: expected stream features, got %s", features.Raw)
	}
	return sp, features, nil
}

// request sends an iq during negotiation and reads until its reply; the
// server has no reason to send anything else before the session exists.
func (c *Client) request(sp *xmlstream.Splitter, iq, id string) (Stanza, error) {
	if err := c.SendRaw(iq); err != nil {
		return Stanza{}, err
	}
	const maxSkipped = 16 // bounds the loop against a chatty server
	for range maxSkipped {
		s, err := next(sp)
		if err != nil {
			return Stanza{}, err
		}
		if s.Name != "iq" || s.ID != id {
			continue
		}
		if s.Type != "result" {
			return Stanza{}, fmt.Errorf("c2stest: %s failed: %s", id, s.Raw)
		}
		return s, nil
	}
	return Stanza{}, fmt.Errorf("c2stest: no reply to %s", id)
}

// next reads one element during negotiation.
func next(sp *xmlstream.Splitter) (Stanza, error) {
	raw, err := sp.Next()
	if err != nil {
		return Stanza{}, fmt.Errorf("c2stest: negotiation: %w", err)
	}
	return newStanza(append([]byte(nil), raw...)), nil
}

// offersPlain reports whether features lists the SASL PLAIN mechanism.
func offersPlain(features Stanza) bool {
	root, ok := features.root()
	if !ok {
		return false
	}
	mechs, ok := root.Child(NSSASL, "mechanisms")
	if !ok {
		return false
	}
	for m := mechs.Children(); m.Next(); {
		e := m.Element()
		text, err := e.Text()
		if e.Is(NSSASL, "mechanism") && err == nil && strings.TrimSpace(text) == "PLAIN" {
			return true
		}
	}
	return false
}
