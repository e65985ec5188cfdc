package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// tally collects what a client receives in the background, counted by message id.
type tally struct {
	mu     sync.Mutex
	counts map[string]map[string]int // kind → id → count
	stop   context.CancelFunc
	done   chan struct{}
}

// collect reads every stanza c receives until stopped and counts it with classify, which
// returns a kind ("" to ignore) and the id.
func collect(c *c2stest.Client, classify func(c2stest.Stanza) (kind, id string)) *tally {
	ctx, cancel := context.WithCancel(context.Background())
	tl := &tally{counts: map[string]map[string]int{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(tl.done)
		for {
			s, err := c.Expect(ctx, c2stest.Any)
			if err != nil {
				return
			}
			kind, id := classify(s)
			if kind == "" {
				continue
			}
			tl.mu.Lock()
			if tl.counts[kind] == nil {
				tl.counts[kind] = map[string]int{}
			}
			tl.counts[kind][id]++
			tl.mu.Unlock()
		}
	}()
	return tl
}

func (tl *tally) finish() map[string]map[string]int {
	tl.stop()
	<-tl.done
	return tl.counts
}

// of returns how often id was counted as kind.
func (tl *tally) of(kind, id string) int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.counts[kind][id]
}

// kindsOf lists what was counted for id, e.g. "notify 1, other error 1", or "nothing".
func (tl *tally) kindsOf(id string) string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var kinds []string
	for kind, ids := range tl.counts {
		if n := ids[id]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", kind, n))
		}
	}
	if len(kinds) == 0 {
		return "nothing"
	}
	slices.Sort(kinds)
	return strings.Join(kinds, ", ")
}

func (tl *tally) count(kind string) int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	n := 0
	for _, c := range tl.counts[kind] {
		n += c
	}
	return n
}

// senderKinds classifies what a sender receives: AMP notifications by status, and error
// bounces (service-unavailable while ampd is down).
func senderKinds(s c2stest.Stanza) (string, string) {
	if s.Name != "message" {
		return "", ""
	}
	if s.Type == "error" && s.Find("urn:ietf:params:xml:ns:xmpp-stanzas", "service-unavailable") != nil {
		return "unavailable", s.ID
	}
	if amp := s.Child(nsAMP, "amp"); amp != nil {
		for _, st := range []string{"notify", "alert", "error"} {
			if containsAttr(amp, "status", st) {
				return st, s.ID
			}
		}
	}
	if s.Type == "error" {
		return "other error", s.ID // no test expects one: counted so that a failure can name it
	}
	return "", ""
}

func recipientKinds(s c2stest.Stanza) (string, string) {
	if s.Name == "message" && s.ChildText(c2stest.NSClient, "body") != "" {
		return "body", s.ID
	}
	return "", ""
}

func containsAttr(raw []byte, name, value string) bool {
	s := string(raw)
	return strings.Contains(s, name+"='"+value+"'") || strings.Contains(s, name+`="`+value+`"`)
}

// kill -9 of ampd while messages are being diverted, and a restart within the module's grace
// (ampd_down_grace, default 20 s): nobody sees it. Every message is delivered with its
// notification exactly once — none bounced, none lost, none doubled.
func TestCrashWhileDiverting(t *testing.T) {
	e := newEnv(t, envOptions{external: true})
	dir := t.TempDir()
	cfgPath, httpAddr := e.writeConfig(dir)
	logPath := filepath.Join(dir, "ampd.log")
	p := e.startBinary(cfgPath, httpAddr, logPath)

	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", nil)
	bob := e.client(bobU, "pc", nil)
	e.befriend(alice, bob, aliceU, bobU)
	waitMetric(t, e, p, "ampd_presence_resources", 2)
	to := e.jid(bobU)

	sent := collect(alice, senderKinds)
	got := collect(bob, recipientKinds)
	const n = 300
	for i := range n {
		if i == n/3 {
			p.kill9()
		}
		if i == n/2 {
			p = e.startBinary(cfgPath, httpAddr, logPath)
		}
		must(t, alice.SendRaw(ampMessage(to, fmt.Sprintf("c%d", i), "chat", rule("notify", "deliver", "direct"))))
		time.Sleep(3 * time.Millisecond)
	}
	e.eventually("every message answered", func() error {
		if a, b := sent.count("notify")+sent.count("unavailable"), got.count("body"); a < n || b < sent.count("notify") {
			return fmt.Errorf("answered %d of %d, delivered %d", a, n, b)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // anything doubled would arrive now
	s, r := sent.finish(), got.finish()
	delivered, bounced := 0, 0
	for i := range n {
		id := fmt.Sprintf("c%d", i)
		notify, unavail, body := s["notify"][id], s["unavailable"][id], r["body"][id]
		switch {
		case notify == 1 && body == 1 && unavail == 0:
			delivered++
		case unavail == 1 && notify == 0 && body == 0:
			bounced++
		default:
			t.Errorf("%s: notify %d, delivered %d, service-unavailable %d: want exactly one outcome", id, notify, body, unavail)
		}
	}
	t.Logf("%d delivered with notify, %d bounced while ampd was down", delivered, bounced)
	if bounced != 0 {
		t.Errorf("%d of %d bounced: a restart within the grace must be invisible to senders", bounced, n)
	}
}

// kill -9 of ampd around the deadline of held messages, and again while releasing them: every
// held message ends exactly once (one alert for the expired ones, one delivery for the others).
func TestCrashWithHeldMessages(t *testing.T) {
	e := newEnv(t, envOptions{external: true})
	dir := t.TempDir()
	cfgPath, httpAddr := e.writeConfig(dir)
	logPath := filepath.Join(dir, "ampd.log")
	p := e.startBinary(cfgPath, httpAddr, logPath)

	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", nil)
	e.befriendOffline(alice, aliceU, bobU)
	waitMetric(t, e, p, "ampd_presence_resources", 1)
	to := e.jid(bobU)

	sent := collect(alice, senderKinds)
	const expiring, kept = 40, 40
	deadline := time.Now().Add(4 * time.Second)
	for i := range expiring {
		must(t, alice.SendRaw(ampMessage(to, fmt.Sprintf("x%d", i), "chat", rule("alert", "expire-at", deadline.UTC().Format("2006-01-02T15:04:05.000Z")))))
	}
	for i := range kept {
		must(t, alice.SendRaw(ampMessage(to, fmt.Sprintf("k%d", i), "chat", rule("alert", "expire-at", expireAt(time.Hour)))))
	}
	waitMetric(t, e, p, "ampd_held_messages", expiring+kept)

	time.Sleep(time.Until(deadline.Add(-50 * time.Millisecond)))
	p.kill9() // around the deadline: some alerts may have gone out, some not
	time.Sleep(time.Second)
	p = e.startBinary(cfgPath, httpAddr, logPath)
	e.eventually("every expired message alerted", func() error {
		if n := sent.count("alert"); n < expiring {
			return fmt.Errorf("%d alerts of %d", n, expiring)
		}
		return nil
	})

	bob := e.client(bobU, "pc", nil)
	got := collect(bob, recipientKinds)
	must(t, bob.Presence(0))
	time.Sleep(20 * time.Millisecond)
	p.kill9() // while releasing
	p = e.startBinary(cfgPath, httpAddr, logPath)
	e.eventually("every kept message delivered", func() error {
		if n := got.count("body"); n < kept {
			return fmt.Errorf("%d of %d delivered", n, kept)
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	s, r := sent.finish(), got.finish()
	for i := range expiring {
		id := fmt.Sprintf("x%d", i)
		if s["alert"][id] != 1 || r["body"][id] != 0 {
			t.Errorf("%s: %d alerts, %d deliveries; want 1 alert, no delivery", id, s["alert"][id], r["body"][id])
		}
	}
	for i := range kept {
		id := fmt.Sprintf("k%d", i)
		if s["alert"][id] != 0 || r["body"][id] != 1 {
			t.Errorf("%s: %d alerts, %d deliveries; want 1 delivery, no alert", id, s["alert"][id], r["body"][id])
		}
	}
	waitMetric(t, e, p, "ampd_held_messages", 0)
}

// Prosody restarts while ampd holds messages: none is lost.
func TestServerRestartWithHeldMessages(t *testing.T) {
	e := newEnv(t, envOptions{})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	e.befriendOffline(alice, aliceU, bobU)
	to := e.jid(bobU)
	for i := range 10 {
		must(t, alice.SendRaw(ampMessage(to, fmt.Sprintf("r%d", i), "chat", rule("alert", "expire-at", expireAt(time.Hour)))))
	}
	e.eventually("held", func() error {
		if n := e.ampd.d.Held(); n != 10 {
			return fmt.Errorf("%d held", n)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	must(t, e.srv.Restart(ctx))
	e.eventually("ampd reconnected", func() error { return e.ampd.d.Ready() })
	bob := e.client(bobU, "pc", nil)
	got := collect(bob, recipientKinds)
	must(t, bob.Presence(0))
	e.eventually("all delivered", func() error {
		if n := got.count("body"); n < 10 {
			return fmt.Errorf("%d of 10", n)
		}
		return nil
	})
	time.Sleep(time.Second)
	for id, n := range got.finish()["body"] {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

func waitMetric(t *testing.T, e *env, p *process, name string, want float64) {
	t.Helper()
	e.eventually(fmt.Sprintf("%s = %v", name, want), func() error {
		v, err := p.metric(name)
		if err != nil {
			return err
		}
		if v != want {
			return fmt.Errorf("%s = %v", name, v)
		}
		return nil
	})
}
