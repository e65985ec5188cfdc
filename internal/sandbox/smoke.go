package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

const nsAMP = "http://jabber.org/protocol/amp"

// smokeMessage is the AMP request of the smoke test and of the printed example.
func smokeMessage(to, id string) string {
	return `<message to='` + to + `' id='` + id + `'><body>Hello from alice</body>` +
		`<amp xmlns='` + nsAMP + `'><rule action='notify' condition='deliver' value='direct'/></amp></message>`
}

// smoke logs in as both demo accounts, has a send bob an AMP message with a
// notify/deliver=direct rule and checks that bob gets the message and a the
// notify. It reports each step with say.
func smoke(ctx context.Context, say func(string, ...any), srv *xmppServer, httpListen string, a, b demoUser) error {
	ca, err := c2stest.Dial(ctx, srv.C2SAddr, a.name, srv.Host, a.password, "smoke")
	if err != nil {
		return &problem{what: "smoke: log in as " + a.name, err: err}
	}
	defer ca.Close()
	cb, err := c2stest.Dial(ctx, srv.C2SAddr, b.name, srv.Host, b.password, "smoke")
	if err != nil {
		return &problem{what: "smoke: log in as " + b.name, err: err}
	}
	defer cb.Close()
	say("smoke: %s and %s logged in", ca.JID, cb.JID)
	for _, c := range []*c2stest.Client{ca, cb} {
		if err := c.Presence(0); err != nil {
			return &problem{what: "smoke: send presence", err: err}
		}
	}
	// ampd learns presence from the server (XEP-0356), a moment after the
	// clients send it; the rule is evaluated against what ampd knows.
	if err := waitPresence(ctx, httpListen, 2); err != nil {
		return &problem{what: "smoke: ampd never saw both demo accounts online", err: err,
			fix: "check that the server grants ampd privileged presence (the server log in the sandbox directory)"}
	}
	say("smoke: ampd sees both online")
	id := "smoke-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := smokeMessage(b.name+"@"+srv.Host, id)
	if err := ca.SendRaw(msg); err != nil {
		return &problem{what: "smoke: send the AMP message", err: err}
	}
	say("smoke: %-5s sent %s", a.name, msg)
	got, err := cb.Expect(ctx, func(s c2stest.Stanza) bool {
		return s.Name == "message" && s.ChildText(c2stest.NSClient, "body") == "Hello from alice"
	})
	if err != nil {
		return &problem{what: "smoke: " + b.name + " did not receive the message", err: err}
	}
	say("smoke: %-5s got  %s", b.name, got.Raw)
	notify, err := ca.Expect(ctx, c2stest.All(c2stest.Named("message"), c2stest.WithID(id), c2stest.WithChild(nsAMP, "amp")))
	if err != nil {
		return &problem{what: "smoke: " + a.name + " did not receive the AMP notify", err: err}
	}
	say("smoke: %-5s got  %s", a.name, notify.Raw)
	amp := string(notify.Child(nsAMP, "amp"))
	for _, want := range []string{"status='notify'", "condition='deliver'", "value='direct'"} {
		alt := strings.ReplaceAll(want, "'", `"`)
		if !strings.Contains(amp, want) && !strings.Contains(amp, alt) {
			return &problem{what: "smoke: the AMP reply is not a deliver=direct notify", err: fmt.Errorf("missing %s in %s", want, notify.Raw)}
		}
	}
	return nil
}

// waitPresence polls ampd's metrics until ampd_presence_resources is at
// least n.
func waitPresence(ctx context.Context, httpListen string, n int) error {
	client := &http.Client{Timeout: time.Second}
	last := "no answer"
	for {
		if v, err := presenceResources(client, "http://"+httpListen+"/metrics"); err != nil {
			last = err.Error()
		} else if v >= float64(n) {
			return nil
		} else {
			last = fmt.Sprintf("ampd_presence_resources %v", v)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %s)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func presenceResources(client *http.Client, url string) (float64, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "ampd_presence_resources "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("no ampd_presence_resources in %s", url)
}
