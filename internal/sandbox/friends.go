package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// befriend gives the two demo accounts a mutual presence subscription
// ("both" on both rosters), so that the §9 roster policy lets each use
// presence-revealing rules towards the other. It is a plain c2s exchange, the
// same on every server.
func befriend(ctx context.Context, srv *xmppServer, a, b demoUser) error {
	ca, err := c2stest.Dial(ctx, srv.C2SAddr, a.name, srv.Host, a.password, "setup")
	if err != nil {
		return fmt.Errorf("log in as %s: %w", a.name, err)
	}
	defer ca.Close()
	cb, err := c2stest.Dial(ctx, srv.C2SAddr, b.name, srv.Host, b.password, "setup")
	if err != nil {
		return fmt.Errorf("log in as %s: %w", b.name, err)
	}
	defer cb.Close()
	// Subscription requests reach only interested resources: those that
	// fetched the roster and are available (RFC 6121 §3.1.3).
	for _, c := range []*c2stest.Client{ca, cb} {
		if _, err := c.IQ(ctx, `<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`); err != nil {
			return err
		}
		if err := c.Presence(0); err != nil {
			return err
		}
	}
	subscribe := func(from, to *c2stest.Client, fromUser, toUser string) error {
		if err := from.SendRaw(`<presence to='` + toUser + `@` + srv.Host + `' type='subscribe'/>`); err != nil {
			return err
		}
		if _, err := to.Expect(ctx, c2stest.All(c2stest.Named("presence"), c2stest.WithType("subscribe"))); err != nil {
			return fmt.Errorf("%s's subscription request did not reach %s: %w", fromUser, toUser, err)
		}
		return to.SendRaw(`<presence to='` + fromUser + `@` + srv.Host + `' type='subscribed'/>`)
	}
	if err := subscribe(ca, cb, a.name, b.name); err != nil {
		return err
	}
	if err := subscribe(cb, ca, b.name, a.name); err != nil {
		return err
	}
	for _, c := range []*c2stest.Client{ca, cb} {
		if err := waitBoth(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// waitBoth waits until c's roster shows a "both" subscription: the server
// applies the second approval asynchronously.
func waitBoth(ctx context.Context, c *c2stest.Client) error {
	for {
		res, err := c.IQ(ctx, `<iq type='get'><query xmlns='jabber:iq:roster'/></iq>`)
		if err != nil {
			return err
		}
		raw := string(res.Raw)
		if strings.Contains(raw, `subscription='both'`) || strings.Contains(raw, `subscription="both"`) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("roster of %s never showed subscription both: %s", c.JID, raw)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
