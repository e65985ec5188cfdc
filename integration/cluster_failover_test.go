package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/pgtest"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// firstNotify records when each request's notify first reached its sender, so that the time
// from a failure to the first verdict after it can be read off afterwards.
type firstNotify struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (f *firstNotify) classify(s c2stest.Stanza) (string, string) {
	kind, id := senderKinds(s)
	if kind == "notify" {
		f.mu.Lock()
		if _, seen := f.at[id]; !seen {
			f.at[id] = time.Now()
		}
		f.mu.Unlock()
	}
	return kind, id
}

// firstAfter is the earliest notify for a request sent at or after mark.
func (f *firstNotify) firstAfter(sentAt map[string]time.Time, mark time.Time) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first time.Time
	for id, sent := range sentAt {
		if at, ok := f.at[id]; ok && !sent.Before(mark) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

// longestSilence is the longest time within [from, to] without a notify reaching a sender,
// counted from from to the first one and between consecutive ones.
func (f *firstNotify) longestSilence(from, to time.Time) time.Duration {
	f.mu.Lock()
	var times []time.Time
	for _, at := range f.at {
		if !at.Before(from) && at.Before(to) {
			times = append(times, at)
		}
	}
	f.mu.Unlock()
	slices.SortFunc(times, time.Time.Compare)
	longest, prev := time.Duration(0), from
	for _, at := range times {
		longest, prev = max(longest, at.Sub(prev)), at
	}
	if len(times) == 0 {
		return to.Sub(from)
	}
	return longest
}

// TestClusterFailover is issue 14's test for an ejabberd cluster: an active/standby ampd pair
// on PostgreSQL in front of two ejabberd nodes (component.addresses lists both; ampd connects
// to node A). Users on both nodes send a stream of AMP requests, some held with expire-at.
// Then: kill -9 of the active ampd (the standby takes over, connects to node A, and the killed
// one is restarted as the new standby, as systemd would); node A stops (ampd's connection
// moves to node B; node A's users were answered before and lose their sessions); PostgreSQL
// stops for a few seconds (the active ampd gives its lease up and exits; the restarted one
// takes over). Every request is delivered or answered exactly once, the held messages fire at
// their deadline after all of it, and the times are logged.
func TestClusterFailover(t *testing.T) {
	if kind.Family != serverkind.Ejabberd {
		t.Skipf("%s has no cluster (a Prosody host is one process); the cluster failover runs for ejabberd and ejabberd24, and the Prosody pair in TestFailoverKill9", kind.Title)
	}
	if testing.Short() {
		t.Skip("integration tests need a real XMPP server; skipped under -short")
	}
	pg := pgtest.StartT(t)
	dsn := pg.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	nodeA, nodeB, err := testserver.StartCluster(ctx, kind, testserver.Options{Dir: t.TempDir()}, t.TempDir())
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node B log tail:\n%s", nodeB.LogTail(60))
		}
		nodeB.Stop()
	})
	e := envOn(t, nodeA, envOptions{external: true})
	e.cfg.Component.Address, e.cfg.Component.Addresses = "", []string{nodeA.ComponentAddr, nodeB.ComponentAddr}
	const ttl = 2 * time.Second
	a, b := e.startPair(dsn, ttl)

	aliceU, bobU, carolU, daveU := e.user("alice"), e.user("bob"), e.user("carol"), e.user("dave")
	alice := e.clientAt(nodeB.C2SAddr, aliceU, "phone") // senders on both nodes
	dave := e.clientAt(nodeA.C2SAddr, daveU, "pc")
	bob := e.clientAt(nodeB.C2SAddr, bobU, "pc") // the recipient on the node that survives
	for _, c := range []*c2stest.Client{alice, dave, bob} {
		must(t, c.Presence(0))
	}
	// Under the §9 roster policy, with the senders in the recipient's roster: ampd reads bob's
	// roster through the node it is connected to, whichever node the sender is on.
	e.befriend(alice, bob, aliceU, bobU)
	e.befriend(dave, bob, daveU, bobU)
	e.befriendOffline(alice, aliceU, carolU)
	waitMetric(t, e, a.process(), "ampd_presence_resources", 3)
	toBob, toCarol := e.jid(bobU), e.jid(carolU)

	notified := &firstNotify{at: map[string]time.Time{}}
	sentAlice := collect(alice, notified.classify)
	sentDave := collect(dave, notified.classify)
	got := collect(bob, recipientKinds)

	// Held for carol (offline): some expire after every failover, the others wait for her.
	const expiring, kept = 20, 10
	deadline := time.Now().Add(45 * time.Second)
	for i := range expiring {
		must(t, alice.SendRaw(ampMessage(toCarol, fmt.Sprintf("x%d", i), "chat", rule("alert", "expire-at", deadline.UTC().Format("2006-01-02T15:04:05.000Z")))))
	}
	for i := range kept {
		must(t, alice.SendRaw(ampMessage(toCarol, fmt.Sprintf("k%d", i), "chat", rule("alert", "expire-at", expireAt(time.Hour)))))
	}
	waitMetric(t, e, a.process(), "ampd_held_messages", expiring+kept)

	sentAt := map[string]time.Time{}
	var aliceIDs, daveIDs []string
	n := 0
	send := func(c *c2stest.Client, prefix string, ids *[]string) {
		id := fmt.Sprintf("%s%d", prefix, n)
		n++
		sentAt[id] = time.Now()
		*ids = append(*ids, id)
		must(t, c.SendRaw(ampMessage(toBob, id, "chat", rule("notify", "deliver", "direct"))))
	}
	// stream sends from alice (and dave while withDave) every 10 ms until done says so.
	stream := func(withDave bool, done func() bool) {
		for !done() {
			send(alice, "c", &aliceIDs)
			if withDave {
				send(dave, "d", &daveIDs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	after := func(d time.Duration) func() bool {
		until := time.Now().Add(d)
		return func() bool { return time.Now().After(until) }
	}
	// answered names the requests without an answer, when they were sent and whether bob got
	// them, so that a failure can be traced in the logs.
	answered := func(tl *tally, ids []string) func() error {
		return func() error {
			n := tl.count("notify") + tl.count("unavailable")
			if n >= len(ids) {
				return nil
			}
			var missing []string
			for _, id := range ids {
				if tl.of("notify", id)+tl.of("unavailable", id) == 0 && len(missing) < 10 {
					missing = append(missing, fmt.Sprintf("%s (sent %s; the sender got %s; bob got it %d times)", id, sentAt[id].UTC().Format("15:04:05.000"), tl.kindsOf(id), got.of("body", id)))
				}
			}
			return fmt.Errorf("answered %d of %d; without an answer: %s", n, len(ids), strings.Join(missing, ", "))
		}
	}

	// 1. kill -9 of the active ampd, under requests from both nodes.
	stream(true, after(2*time.Second))
	a.kill9()
	killedAt := time.Now()
	stream(true, func() bool { return b.ready() == nil && time.Since(killedAt) > ttl+2*time.Second })
	a2 := e.startPairMember("a2", dsn, ttl) // restarted, as its supervisor would
	e.eventually("every request from node A's user answered", answered(sentDave, daveIDs))

	// 2. node A, where ampd is connected, stops (ejabberdctl stop): the connection moves to
	// node B.
	nodeStoppedAt := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- nodeA.Stop() }()
	var stopErr error
	stopDone := false
	stream(false, func() bool {
		select {
		case stopErr = <-stopped:
			stopDone = true
		default:
		}
		return stopDone && b.ready() == nil && time.Since(nodeStoppedAt) > 2*time.Second
	})
	must(t, stopErr)
	stream(false, after(time.Second))

	// 3. PostgreSQL stops for a few seconds: b gives its lease up; a2 takes over.
	must(t, pg.Stop())
	pgStoppedAt := time.Now()
	stream(false, after(3*time.Second))
	ctx, cancel = ctxWait()
	must(t, pg.Start(ctx))
	cancel()
	pgStartedAt := time.Now()
	stream(false, func() bool {
		if time.Since(pgStartedAt) > 2*wait {
			t.Fatalf("the restarted ampd did not take over within %s of the database's return", 2*wait)
		}
		return a2.ready() == nil && time.Since(pgStartedAt) > 2*time.Second
	})

	e.eventually("every request from node B's user answered", answered(sentAlice, aliceIDs))
	if time.Now().After(deadline) {
		t.Fatalf("the failovers took past the held messages' deadline %s; raise it", deadline.Format(time.StampMilli))
	}
	time.Sleep(time.Until(deadline))
	e.eventually("every expired held message alerted", func() error {
		if n := sentAlice.count("alert"); n < expiring {
			return fmt.Errorf("%d alerts of %d", n, expiring)
		}
		return nil
	})
	alertsAt := time.Now()
	carol := e.clientAt(nodeB.C2SAddr, carolU, "pc")
	carolGot := collect(carol, recipientKinds)
	must(t, carol.Presence(0))
	e.eventually("every kept held message delivered", func() error {
		if n := carolGot.count("body"); n < kept {
			return fmt.Errorf("%d of %d", n, kept)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // anything doubled would arrive now
	sa, sd, r, rc := sentAlice.finish(), sentDave.finish(), got.finish(), carolGot.finish()

	deliveredA, bouncedA := checkDiverts(t, aliceIDs, sa, r)
	deliveredD, bouncedD := checkDiverts(t, daveIDs, sd, r)
	for i := range expiring {
		if id := fmt.Sprintf("x%d", i); sa["alert"][id] != 1 || rc["body"][id] != 0 {
			t.Errorf("%s: %d alerts, %d deliveries; want 1 alert, no delivery", id, sa["alert"][id], rc["body"][id])
		}
	}
	for i := range kept {
		if id := fmt.Sprintf("k%d", i); sa["alert"][id] != 0 || rc["body"][id] != 1 {
			t.Errorf("%s: %d alerts, %d deliveries; want 1 delivery, no alert", id, sa["alert"][id], rc["body"][id])
		}
	}
	if b.running() {
		t.Error("ampd b still runs after it lost the store")
	}
	since := func(mark time.Time) string {
		first := notified.firstAfter(sentAt, mark)
		if first.IsZero() {
			t.Errorf("no verdict for a request sent after %s", mark.Format(time.StampMilli))
			return "never"
		}
		return first.Sub(mark).Round(time.Millisecond).String()
	}
	t.Logf("%s cluster, store.lease_ttl %s: kill -9 of the active ampd → first verdict from the standby %s (longest time without a verdict %s); node A stopped → longest time without a verdict %s; PostgreSQL stopped 3 s → longest time without a verdict %s, first verdict %s after pg_ctl start returned",
		kind.Title, ttl, since(killedAt), notified.longestSilence(killedAt, nodeStoppedAt).Round(time.Millisecond),
		notified.longestSilence(nodeStoppedAt, pgStoppedAt).Round(time.Millisecond),
		notified.longestSilence(pgStoppedAt, time.Now()).Round(time.Millisecond), since(pgStartedAt))
	t.Logf("requests from node B's user: %d, %d delivered with notify, %d bounced; from node A's user: %d, %d delivered, %d bounced; %d held expired with one alert each (the last seen %s after the deadline), %d held delivered once",
		len(aliceIDs), deliveredA, bouncedA, len(daveIDs), deliveredD, bouncedD, expiring, alertsAt.Sub(deadline).Round(time.Millisecond), kept)
}
