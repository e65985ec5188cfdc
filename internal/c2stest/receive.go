package c2stest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Next returns the next element received (a copy the caller owns): the oldest
// one Expect skipped if there is any, else the next from the stream. After the
// stream has ended it returns the error that ended it (io.EOF when the server
// closed the stream cleanly).
func (c *Client) Next(ctx context.Context) ([]byte, error) {
	if len(c.backlog) > 0 {
		s := c.backlog[0]
		c.backlog = c.backlog[1:]
		return s.Raw, nil
	}
	s, err := c.receive(ctx)
	if err != nil {
		return nil, err
	}
	return s.Raw, nil
}

// Expect returns the first element, from the backlog or the stream, for which
// match is true. Elements that do not match are kept in the backlog for later
// calls. When ctx ends first or the stream ends, the error lists every element
// that is waiting in the backlog, so a failing test shows what did arrive.
func (c *Client) Expect(ctx context.Context, match func(Stanza) bool) (Stanza, error) {
	if s, ok := c.takeFromBacklog(match); ok {
		return s, nil
	}
	for {
		s, err := c.receive(ctx)
		if err != nil {
			return Stanza{}, fmt.Errorf("c2stest: %s: expected stanza not received: %w%s", c.JID, err, c.describeBacklog())
		}
		if match(s) {
			return s, nil
		}
		c.keep(s)
	}
}

// ExpectNone asserts that no element for which match is true is in the
// backlog or arrives within d. Elements that do not match are kept in the
// backlog. It fails if ctx ends before d has passed, and if the stream ends:
// nothing could have arrived, which is not what the test meant to observe.
//
// The wait is real time: choose d well above the server's usual latency, as
// the test can only ever show that nothing arrived in time.
func (c *Client) ExpectNone(ctx context.Context, d time.Duration, match func(Stanza) bool) error {
	if s, ok := c.findInBacklog(match); ok {
		return fmt.Errorf("c2stest: %s: unexpected stanza received: %s", c.JID, s.Raw)
	}
	windowEnd := time.Now().Add(d)
	ctx, cancel := context.WithDeadline(ctx, windowEnd)
	defer cancel()
	for {
		s, err := c.receive(ctx)
		switch {
		case errors.Is(err, context.DeadlineExceeded) && !time.Now().Before(windowEnd):
			return nil
		case err != nil:
			return fmt.Errorf("c2stest: %s: while expecting nothing: %w", c.JID, err)
		}
		c.keep(s)
		if match(s) {
			return fmt.Errorf("c2stest: %s: unexpected stanza received: %s", c.JID, s.Raw)
		}
	}
}

// IQ sends the iq in raw and waits for the result or error with its id. If raw
// has no id attribute, one is added (NewID). A type='error' reply is returned
// together with an error that quotes it.
func (c *Client) IQ(ctx context.Context, raw string) (Stanza, error) {
	raw, id, err := c.withID(raw)
	if err != nil {
		return Stanza{}, err
	}
	if err := c.SendRaw(raw); err != nil {
		return Stanza{}, err
	}
	reply, err := c.Expect(ctx, func(s Stanza) bool {
		return s.Name == "iq" && s.ID == id && (s.Type == "result" || s.Type == "error")
	})
	if err != nil {
		return Stanza{}, err
	}
	if reply.Type == "error" {
		return reply, fmt.Errorf("c2stest: iq %s failed: %s", id, reply.Raw)
	}
	return reply, nil
}

// withID returns raw with an id attribute, adding one after the element name
// if it has none, and the id.
func (c *Client) withID(raw string) (string, string, error) {
	root, err := xmlscan.Parse([]byte(raw))
	if err != nil {
		return "", "", fmt.Errorf("c2stest: iq: %w", err)
	}
	if string(root.Local()) != "iq" {
		return "", "", fmt.Errorf("c2stest: iq: element is <%s>, not <iq>", root.Name())
	}
	if a, ok := root.Attr("id"); ok {
		id, err := a.Unescape(nil)
		if err != nil {
			return "", "", fmt.Errorf("c2stest: iq: %w", err)
		}
		return raw, string(id), nil
	}
	id := c.NewID()
	start, _ := root.Range()
	at := start + 1 + len(root.Name())
	return raw[:at] + " id='" + id + "'" + raw[at:], id, nil
}

// receive returns the next element from the stream, as a Stanza.
func (c *Client) receive(ctx context.Context) (Stanza, error) {
	if c.readErr != nil {
		return Stanza{}, c.readErr
	}
	select {
	case r := <-c.incoming:
		if r.err != nil {
			if errors.Is(r.err, io.EOF) {
				c.readErr = fmt.Errorf("c2stest: stream closed by the server: %w", r.err)
			} else {
				c.readErr = fmt.Errorf("c2stest: stream: %w", r.err)
			}
			return Stanza{}, c.readErr
		}
		return newStanza(r.raw), nil
	case <-ctx.Done():
		return Stanza{}, ctx.Err()
	}
}

// keep adds s to the backlog, forgetting the oldest element when it is full.
func (c *Client) keep(s Stanza) {
	if len(c.backlog) == maxBacklog {
		c.backlog = c.backlog[1:]
	}
	c.backlog = append(c.backlog, s)
}

// findInBacklog returns the oldest kept element that matches.
func (c *Client) findInBacklog(match func(Stanza) bool) (Stanza, bool) {
	for _, s := range c.backlog {
		if match(s) {
			return s, true
		}
	}
	return Stanza{}, false
}

// takeFromBacklog removes and returns the oldest kept element that matches.
func (c *Client) takeFromBacklog(match func(Stanza) bool) (Stanza, bool) {
	for i, s := range c.backlog {
		if match(s) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return s, true
		}
	}
	return Stanza{}, false
}

// describeBacklog lists the kept elements for an error message.
func (c *Client) describeBacklog() string {
	if len(c.backlog) == 0 {
		return "; nothing else was received"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "; received and not consumed (%d):", len(c.backlog))
	for _, s := range c.backlog {
		b.WriteString("\n\t")
		b.Write(s.Raw)
	}
	return b.String()
}
