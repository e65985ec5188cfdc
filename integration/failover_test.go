package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
)

// TestFailoverKill9: two ampd processes on one PostgreSQL store in front of one XMPP server;
// under a stream of AMP requests, some held with expire-at, the active one is killed -9. The
// standby takes over within 5 s, every request is delivered or answered exactly once, and the
// held messages fire at their deadlines after the failover. The failover time (death of the
// active ampd → first verdict from the standby) is logged.
func TestFailoverKill9(t *testing.T) {
	pg := pgtest.StartT(t)
	dsn := pg.NewDatabase(t)
	e := newEnv(t, envOptions{external: true})
	const ttl = 3 * time.Second // the default store.lease_ttl
	a, b := e.startPair(dsn, ttl)
	if err := b.ready(); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("the standby's readyz: %v; want 503 while the active ampd holds the lease", err)
	}

	aliceU, bobU, carolU := e.user("alice"), e.user("bob"), e.user("carol")
	alice := e.client(aliceU, "phone", nil)
	bob := e.client(bobU, "pc", nil)
	e.befriend(alice, bob, aliceU, bobU)
	e.befriendOffline(alice, aliceU, carolU)
	waitMetric(t, e, a.process(), "ampd_presence_resources", 2)
	toBob, toCarol := e.jid(bobU), e.jid(carolU)

	first := &firstAfter{after: map[string]bool{}}
	sent := collect(alice, first.classify)
	got := collect(bob, recipientKinds)

	// Held for carol (offline): some expire after the failover, the others wait for her.
	const expiring, kept = 30, 20
	killAt := time.Now().Add(3 * time.Second)
	deadline := killAt.Add(ttl + 3*time.Second) // after the standby has taken over
	for i := range expiring {
		must(t, alice.SendRaw(ampMessage(toCarol, fmt.Sprintf("x%d", i), "chat", rule("alert", "expire-at", deadline.UTC().Format("2006-01-02T15:04:05.000Z")))))
	}
	for i := range kept {
		must(t, alice.SendRaw(ampMessage(toCarol, fmt.Sprintf("k%d", i), "chat", rule("alert", "expire-at", expireAt(time.Hour)))))
	}

	// A stream of plain requests to bob, through the kill and well past the takeover.
	var ids []string
	var died time.Time
	for i := 0; ; i++ {
		now := time.Now()
		if died.IsZero() && !now.Before(killAt) {
			waitMetric(t, e, a.process(), "ampd_held_messages", expiring+kept)
			a.kill9()
			died = time.Now()
		}
		if !died.IsZero() && now.Sub(died) > ttl+4*time.Second {
			break
		}
		id := fmt.Sprintf("c%d", i)
		if !died.IsZero() {
			first.sentAfter(id)
		}
		ids = append(ids, id)
		must(t, alice.SendRaw(ampMessage(toBob, id, "chat", rule("notify", "deliver", "direct"))))
		time.Sleep(10 * time.Millisecond)
	}
	e.eventually("b active", b.ready)
	e.eventually("every request answered", func() error {
		if n := sent.count("notify") + sent.count("unavailable"); n < len(ids) {
			return fmt.Errorf("answered %d of %d", n, len(ids))
		}
		return nil
	})
	e.eventually("every expired held message alerted", func() error {
		if n := sent.count("alert"); n < expiring {
			return fmt.Errorf("%d alerts of %d", n, expiring)
		}
		return nil
	})

	carol := e.client(carolU, "pc", nil)
	carolGot := collect(carol, recipientKinds)
	must(t, carol.Presence(0))
	e.eventually("every kept held message delivered", func() error {
		if n := carolGot.count("body"); n < kept {
			return fmt.Errorf("%d of %d", n, kept)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // anything doubled would arrive now
	s, r, rc := sent.finish(), got.finish(), carolGot.finish()

	delivered, bounced := checkDiverts(t, ids, s, r)
	for i := range expiring {
		id := fmt.Sprintf("x%d", i)
		if s["alert"][id] != 1 || rc["body"][id] != 0 {
			t.Errorf("%s: %d alerts, %d deliveries; want 1 alert, no delivery", id, s["alert"][id], rc["body"][id])
		}
	}
	for i := range kept {
		id := fmt.Sprintf("k%d", i)
		if s["alert"][id] != 0 || rc["body"][id] != 1 {
			t.Errorf("%s: %d alerts, %d deliveries; want 1 delivery, no alert", id, s["alert"][id], rc["body"][id])
		}
	}
	first.mu.Lock()
	failover := first.at.Sub(died)
	firstAlert, lastAlert := first.firstAlert, first.lastAlert
	first.mu.Unlock()
	if firstAlert.Before(deadline) {
		t.Errorf("an alert arrived at %s, before the deadline %s", firstAlert.Format(time.StampMilli), deadline.Format(time.StampMilli))
	}
	if first.at.IsZero() {
		t.Fatal("no verdict from the standby")
	}
	if failover > 5*time.Second {
		t.Errorf("failover took %s, want at most 5s", failover)
	}
	t.Logf("failover (kill -9 of the active ampd → first verdict from the standby): %s with store.lease_ttl %s", failover.Round(time.Millisecond), ttl)
	t.Logf("%d requests: %d delivered with notify, %d bounced while no ampd was connected; %d held expired with one alert each (from %s to %s after the deadline), %d held delivered once",
		len(ids), delivered, bounced, expiring, firstAlert.Sub(deadline).Round(time.Millisecond), lastAlert.Sub(deadline).Round(time.Millisecond), kept)
}

// TestFailoverDatabaseStops partitions the active ampd from its store by stopping PostgreSQL
// for a few seconds under a stream of requests. The active ampd gives its lease up and exits
// (its connection to the XMPP server closed) before the standby holds the lease, so no two
// ampds ever answer at once; the standby takes over once the database is back, and every
// request is answered exactly once.
func TestFailoverDatabaseStops(t *testing.T) {
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
	sent := collect(alice, senderKinds)
	got := collect(bob, recipientKinds)

	const down = 4 * time.Second
	var ids []string
	var stoppedAt, startedAt time.Time
	for i := 0; ; i++ {
		now := time.Now()
		switch {
		case i == 100:
			must(t, pg.Stop())
			stoppedAt = time.Now()
		case !stoppedAt.IsZero() && startedAt.IsZero() && now.Sub(stoppedAt) >= down:
			ctx, cancel := ctxWait()
			must(t, pg.Start(ctx))
			cancel()
			startedAt = time.Now()
		}
		if !startedAt.IsZero() && b.ready() == nil && now.Sub(startedAt) > time.Second {
			break
		}
		if !startedAt.IsZero() && now.Sub(startedAt) > wait {
			t.Fatalf("the standby did not take over within %s of the database's return", wait)
		}
		id := fmt.Sprintf("d%d", i)
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

	if a.running() {
		t.Fatal("the ampd that lost its store is still running")
	}
	if !strings.Contains(a.log(), "lost the store's lease") {
		t.Error("ampd a did not log why it stopped")
	}
	if code := a.cmd.ProcessState.ExitCode(); code == 0 {
		t.Error("ampd a exited with status 0 after losing its lease; a supervisor would not restart it")
	}
	took, ok := logTime(b.log(), "holding the store's lease")
	if !ok {
		t.Fatal("ampd b never logged that it holds the lease")
	}
	if !a.exitAt.Before(took) {
		t.Errorf("ampd a exited at %s, after b took the lease at %s: two ampds may have answered at once",
			a.exitAt.Format(time.StampMilli), took.Format(time.StampMilli))
	}
	t.Logf("database stopped for %s: a exited %s after the stop; b took the lease %s after a exited (%s after pg_ctl start returned); %d requests: %d delivered with notify, %d bounced",
		down, a.exitAt.Sub(stoppedAt).Round(time.Millisecond), took.Sub(a.exitAt).Round(time.Millisecond), took.Sub(startedAt).Round(time.Millisecond), len(ids), delivered, bounced)
}

// TestFailoverWhileReleasing kills the active ampd -9 while it releases held messages to a
// recipient who just came online: some releases are on their way, some pending in the store,
// some not begun. The standby resends the pending ones under the same keys and releases the
// rest: each message reaches the recipient exactly once.
func TestFailoverWhileReleasing(t *testing.T) {
	pg := pgtest.StartT(t)
	dsn := pg.NewDatabase(t)
	e := newEnv(t, envOptions{external: true})
	const ttl = 2 * time.Second
	a := e.startPairMember("a", dsn, ttl)
	e.eventually("ampd a active", a.ready)
	b := e.startPairMember("b", dsn, ttl)

	aliceU, carolU := e.user("alice"), e.user("carol")
	alice := e.client(aliceU, "phone", nil)
	e.befriendOffline(alice, aliceU, carolU)
	waitMetric(t, e, a.process(), "ampd_presence_resources", 1)
	to := e.jid(carolU)
	const n = 200
	for i := range n {
		must(t, alice.SendRaw(ampMessage(to, fmt.Sprintf("h%d", i), "chat", rule("alert", "expire-at", expireAt(time.Hour)))))
	}
	waitMetric(t, e, a.process(), "ampd_held_messages", n)

	carol := e.client(carolU, "pc", nil)
	got := collect(carol, recipientKinds)
	must(t, carol.Presence(0))
	e.eventually("the release under way", func() error {
		if got.count("body") == 0 {
			return fmt.Errorf("nothing delivered yet")
		}
		return nil
	})
	a.kill9()
	before := got.count("body")

	e.eventually("b active", b.ready)
	e.eventually("every held message delivered", func() error {
		if c := got.count("body"); c < n {
			return fmt.Errorf("%d of %d delivered", c, n)
		}
		return nil
	})
	waitMetric(t, e, b.process(), "ampd_held_messages", 0)
	time.Sleep(2 * time.Second) // anything doubled would arrive now
	r := got.finish()
	for i := range n {
		if id := fmt.Sprintf("h%d", i); r["body"][id] != 1 {
			t.Errorf("%s delivered %d times, want once", id, r["body"][id])
		}
	}
	resumed := "?"
	for _, line := range strings.Split(b.log(), "\n") {
		if strings.Contains(line, "held messages loaded") && strings.Contains(line, "layer=held") {
			if _, v, ok := strings.Cut(line, " resumed="); ok {
				resumed, _, _ = strings.Cut(v, " ")
			}
		}
	}
	t.Logf("%d held messages: %d had arrived when the active ampd was killed -9; the standby found %s releases pending in the store and resent them; each delivered exactly once", n, before, resumed)
}
