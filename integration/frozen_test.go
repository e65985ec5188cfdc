package integration

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
)

// TestFailoverFrozen freezes the active ampd (SIGSTOP, as a paused VM) under a stream of
// requests: its TCP connection to the server stays open. The standby takes the lease once it
// has expired and connects; when the frozen ampd wakes up (SIGCONT) it finds its lease gone
// by its own clock and stops. Every request is delivered with its notification or bounced,
// exactly once, and the frozen ampd's late verdicts change nothing.
//
// Prosody refuses a second connection for a component by default; the module's README asks
// for component_conflict_resolve = "kick_old", as the sandbox sets it. ejabberd would keep
// both connections and spread the component's stanzas over them; its module makes the new
// connection replace the old one.
func TestFailoverFrozen(t *testing.T) {
	pg := pgtest.StartT(t)
	dsn := pg.NewDatabase(t)
	e := newEnv(t, envOptions{external: true})
	const ttl = 2 * time.Second
	a, b := e.startPair(dsn, ttl)

	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", nil)
	bob := e.client(bobU, "pc", nil)
	e.befriend(alice, bob, aliceU, bobU)
	waitMetric(t, e, a.process(), "ampd_presence_resources", 2)
	to := e.jid(bobU)
	first := &firstAfter{after: map[string]bool{}}
	sent := collect(alice, first.classify)
	got := collect(bob, recipientKinds)

	var ids []string
	var frozenAt, wokeAt time.Time
	thawed := false
	t.Cleanup(func() {
		if !thawed {
			a.cmd.Process.Signal(syscall.SIGCONT) // so that the cleanup can stop it
		}
	})
	for i := 0; ; i++ {
		now := time.Now()
		switch {
		case i == 100:
			must(t, a.cmd.Process.Signal(syscall.SIGSTOP))
			frozenAt = time.Now()
		case !frozenAt.IsZero() && !thawed && b.ready() == nil && now.Sub(frozenAt) > ttl+time.Second:
			must(t, a.cmd.Process.Signal(syscall.SIGCONT))
			wokeAt, thawed = time.Now(), true
		}
		if thawed && !a.running() && now.Sub(wokeAt) > 2*time.Second {
			break
		}
		if !frozenAt.IsZero() && now.Sub(frozenAt) > wait {
			t.Fatalf("no takeover and stop within %s of the freeze (b ready: %v, a running: %v)", wait, b.ready(), a.running())
		}
		id := fmt.Sprintf("f%d", i)
		if !frozenAt.IsZero() {
			first.sentAfter(id)
		}
		ids = append(ids, id)
		must(t, alice.SendRaw(ampMessage(to, id, "chat", rule("notify", "deliver", "direct"))))
		time.Sleep(10 * time.Millisecond)
	}
	e.eventually("every request answered", func() error {
		if n := sent.count("notify") + sent.count("unavailable"); n < len(ids) {
			return fmt.Errorf("answered %d of %d", n, len(ids))
		}
		return nil
	})
	time.Sleep(2 * time.Second) // anything doubled would arrive now
	delivered, bounced := checkDiverts(t, ids, sent.finish(), got.finish())

	if !strings.Contains(a.log(), "lost the store's lease") {
		t.Error("the ampd that woke up without its lease did not log why it stopped")
	}
	if code := a.cmd.ProcessState.ExitCode(); code == 0 {
		t.Error("the ampd that lost its lease exited with status 0; a supervisor would not restart it")
	}
	took, ok := logTime(b.log(), "holding the store's lease")
	if !ok {
		t.Fatal("ampd b never logged that it holds the lease")
	}
	first.mu.Lock()
	firstVerdict := first.at
	first.mu.Unlock()
	if firstVerdict.IsZero() {
		t.Fatal("no notification for a request sent after the freeze")
	}
	t.Logf("frozen at 0: b took the lease at %s, first notification for a request sent after the freeze at %s; woken at %s, a exited %s later; %d requests: %d delivered with notify, %d bounced",
		took.Sub(frozenAt).Round(time.Millisecond), firstVerdict.Sub(frozenAt).Round(time.Millisecond), wokeAt.Sub(frozenAt).Round(time.Millisecond),
		a.exitAt.Sub(wokeAt).Round(time.Millisecond), len(ids), delivered, bounced)
}
