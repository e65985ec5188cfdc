package integration

import (
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// disco#info on the server and on the amp node list exactly what ampd enables (§9), and the
// stream feature is offered after authentication.
func TestDiscovery(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(c *config.Config) {
		c.AMP.Actions = []string{"drop", "notify", "alert", "error"}
		c.AMP.Conditions = []string{"deliver", "match-resource"}
	}})
	u := e.user("alice")
	c := e.client(u, "phone", nil)
	want := []string{
		"http://jabber.org/protocol/amp",
		"http://jabber.org/protocol/amp?action=alert", "http://jabber.org/protocol/amp?action=drop",
		"http://jabber.org/protocol/amp?action=error", "http://jabber.org/protocol/amp?action=notify",
		"http://jabber.org/protocol/amp?condition=deliver", "http://jabber.org/protocol/amp?condition=match-resource",
	}
	for _, node := range []string{"", "http://jabber.org/protocol/amp"} {
		ctx, cancel := ctxWait()
		nodeAttr := ""
		if node != "" {
			nodeAttr = ` node='` + node + `'`
		}
		res, err := c.IQ(ctx, `<iq type='get' to='`+e.srv.Host+`'><query xmlns='http://jabber.org/protocol/disco#info'`+nodeAttr+`/></iq>`)
		cancel()
		if err != nil {
			t.Fatalf("disco#info node %q: %v", node, err)
		}
		got := features(string(res.Raw))
		for _, f := range want {
			if !got[f] {
				t.Errorf("node %q: feature %s missing in %s", node, f, res.Raw)
			}
		}
		if got["http://jabber.org/protocol/amp?condition=expire-at"] {
			t.Errorf("node %q: expire-at is disabled but advertised", node)
		}
	}
	if f := string(c.Features()); !strings.Contains(f, "http://jabber.org/features/amp") {
		t.Errorf("stream features after auth lack the amp feature: %s", f)
	}

	// While ampd is away the server advertises nothing.
	e.ampd.stop()
	e.eventually("features withdrawn", func() error {
		ctx, cancel := ctxWait()
		defer cancel()
		res, err := c.IQ(ctx, `<iq type='get' to='`+e.srv.Host+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		if err != nil {
			return err
		}
		if features(string(res.Raw))["http://jabber.org/protocol/amp"] {
			return errString("amp still advertised")
		}
		return nil
	})
	ctx, cancel := ctxWait()
	defer cancel()
	c2, err := c2stest.Dial(ctx, e.srv.C2SAddr, u, e.srv.Host, password, "second")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if strings.Contains(string(c2.Features()), "http://jabber.org/features/amp") {
		t.Errorf("stream feature offered while ampd is down")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// features returns the var of every <feature/> in a disco#info result.
func features(raw string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(raw, "<feature ")[1:] {
		for _, q := range []string{`var='`, `var="`} {
			if i := strings.Index(part, q); i >= 0 {
				v := part[i+len(q):]
				out[v[:strings.IndexAny(v, `'"`)]] = true
			}
		}
	}
	return out
}
