package held

import (
	"slices"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/resolver"
)

const (
	releasedM1 = "<message xmlns='jabber:client' from='alice@example.org/phone' to='bob@example.org' id='m1' type='chat'><body>hi</body>" +
		"<amp xmlns='http://jabber.org/protocol/amp' from='alice@example.org/phone' to='bob@example.org'><rule action='drop' condition='expire-at' value='2026-11-21T13:00:00Z'/></amp>" +
		"<delay xmlns='urn:xmpp:delay' from='example.org' stamp='2026-11-21T12:00:00.000Z'/></message>"
)

func TestHoldThenAvailableReleasesOnceWithDelay(t *testing.T) {
	f := newFixture(t)
	id := f.hold(message("m1", expireAt("drop", t0.Add(time.Hour))))
	f.clk.Advance(10 * time.Minute)
	f.m.Available("Bob@example.org/laptop") // any resource of the bare JID, case-folded
	f.m.Available("bob@example.org")
	f.clk.Advance(2 * time.Hour) // the deadline of a released message does nothing
	if len(f.act.out) != 1 {
		t.Fatalf("reinjects = %v, want exactly one", f.act.out)
	}
	got := f.act.out[0]
	if got.host != "example.org" || got.key != "held-1-release" || got.stanza != releasedM1 {
		t.Errorf("released (id %d):\n got %+v\nwant key held-1-release stanza\n%s", id, got, releasedM1)
	}
	if f.m.Len() != 0 {
		t.Errorf("Len = %d after release, want 0", f.m.Len())
	}
	if n, _ := f.st.Len(); n != 0 {
		t.Errorf("store holds %d records after release, want 0", n)
	}
}

func TestDeadlinePassesWhileHeld(t *testing.T) {
	deadline := t0.Add(time.Hour)
	tests := []struct {
		action    string
		reply     string // "" for none
		stillHeld bool
	}{
		{"drop", "", false},
		{"alert", "<message xmlns='jabber:client' from='example.org' to='alice@example.org/phone' id='m1'><amp xmlns='http://jabber.org/protocol/amp' status='alert' from='alice@example.org/phone' to='bob@example.org'><rule action='alert' condition='expire-at' value='2026-11-21T13:00:00Z'/></amp></message>", false},
		{"error", "<message xmlns='jabber:client' from='example.org' to='alice@example.org/phone' id='m1' type='error'><amp xmlns='http://jabber.org/protocol/amp' status='error' from='alice@example.org/phone' to='bob@example.org'><rule action='error' condition='expire-at' value='2026-11-21T13:00:00Z'/></amp><error type='modify' code='500'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><failed-rules xmlns='http://jabber.org/protocol/amp#errors'><rule action='error' condition='expire-at' value='2026-11-21T13:00:00Z'/></failed-rules></error></message>", false},
		{"notify", "<message xmlns='jabber:client' from='example.org' to='alice@example.org/phone' id='m1'><amp xmlns='http://jabber.org/protocol/amp' status='notify' from='alice@example.org/phone' to='bob@example.org'><rule action='notify' condition='expire-at' value='2026-11-21T13:00:00Z'/></amp></message>", true},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			f := newFixture(t)
			f.hold(message("m1", expireAt(tc.action, deadline)))
			f.clk.Advance(time.Hour - time.Millisecond)
			if len(f.act.out) != 0 {
				t.Fatalf("sent before the deadline: %v", f.act.out)
			}
			f.clk.Advance(time.Millisecond)
			f.clk.Advance(time.Hour) // nothing fires twice
			var want []sent
			if tc.reply != "" {
				want = []sent{{"example.org", "held-1-rule-0", tc.reply}}
			}
			if !slices.Equal(f.act.out, want) {
				t.Fatalf("sent:\n got %+v\nwant %+v", f.act.out, want)
			}
			if held := f.m.Len() == 1; held != tc.stillHeld {
				t.Fatalf("still held = %v, want %v", held, tc.stillHeld)
			}
			f.m.Available("bob@example.org")
			released := slices.ContainsFunc(f.act.out, func(s sent) bool { return s.key == "held-1-release" })
			if released != tc.stillHeld {
				t.Errorf("released on availability = %v, want %v", released, tc.stillHeld)
			}
			if f.m.Len() != 0 {
				t.Errorf("Len = %d at the end, want 0", f.m.Len())
			}
		})
	}
}

func TestAvailableAfterDeadlineRunsTheAction(t *testing.T) {
	// The recipient comes online after T but before the timer ran (e.g. while ampd was
	// busy): the re-check at release time expires the message instead.
	f := newFixture(t)
	f.hold(message("m1", expireAt("alert", t0.Add(time.Minute))))
	f.clk.mu.Lock()
	f.clk.now = t0.Add(2 * time.Minute) // time passes, timers have not run yet
	f.clk.mu.Unlock()
	f.m.Available("bob@example.org")
	f.clk.Advance(0)
	if got := f.act.keys(); !slices.Equal(got, []string{"held-1-rule-0"}) {
		t.Errorf("keys = %v, want only the alert", got)
	}
}

func TestRulesOfAHeldMessage(t *testing.T) {
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	tests := []struct {
		name     string
		rules    []rule
		decision resolver.Decision
		advance  time.Duration
		online   bool
		want     []string
	}{
		{"notify then drop: both fire", []rule{expireAt("notify", t1), expireAt("drop", t2)}, noneMet, 3 * time.Minute, false, []string{"held-1-rule-0"}},
		{"notify then drop, online between", []rule{expireAt("notify", t1), expireAt("drop", t2)}, noneMet, 90 * time.Second, true, []string{"held-1-rule-0", "held-1-release"}},
		{"earlier document rule wins when both due", []rule{expireAt("alert", t2), expireAt("error", t1)}, noneMet, 3 * time.Minute, false, []string{"held-1-rule-1"}},
		{"stored notify at receipt is spent", []rule{{"notify", "deliver", "stored"}, expireAt("alert", t1)},
			resolver.Decision{Verdict: resolver.Hold, Met: 0, Action: "notify"}, 3 * time.Minute, false, []string{"held-1-rule-1"}},
		{"expire-at notify met at receipt does not fire again", []rule{expireAt("notify", t0.Add(-time.Minute)), expireAt("drop", t2)},
			resolver.Decision{Verdict: resolver.Hold, Met: 0, Action: "notify"}, time.Minute, true, []string{"held-1-release"}},
		{"deadline already past at hold fires at once", []rule{{"notify", "deliver", "stored"}, expireAt("alert", t0.Add(-time.Second))},
			resolver.Decision{Verdict: resolver.Hold, Met: 0, Action: "notify"}, 0, false, []string{"held-1-rule-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.m.Hold("example.org", "r1", message("m1", tc.rules...), t0, tc.decision); err != nil {
				t.Fatal(err)
			}
			f.clk.Advance(tc.advance)
			if tc.online {
				f.m.Available("bob@example.org")
			}
			if got := f.act.keys(); !slices.Equal(got, tc.want) {
				t.Errorf("keys = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHoldRefuses(t *testing.T) {
	tests := map[string][]byte{
		"no expire-at":    message("m1", rule{"notify", "deliver", "stored"}),
		"bad expire-at":   message("m1", rule{"drop", "expire-at", "tomorrow"}),
		"no amp":          []byte("<message to='bob@example.org' id='x'><body/></message>"),
		"not well-formed": []byte("<message"),
		"no recipient":    []byte("<message id='x'><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='expire-at' value='2026-11-21T13:00:00Z'/></amp></message>"),
	}
	for name, msg := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.m.Hold("example.org", "r1", msg, t0, noneMet); err == nil {
				t.Fatal("Hold accepted it")
			}
			if n, _ := f.st.Len(); n != 0 {
				t.Errorf("store holds %d records", n)
			}
		})
	}
}

func TestReDivertIsNotHeldTwice(t *testing.T) {
	f := newFixture(t)
	msg := message("m1", expireAt("drop", t0.Add(time.Hour)))
	a, _ := f.m.Hold("example.org", "r1", msg, t0, noneMet)
	f.restart() // ampd crashed before the verdict went out; the module re-diverts
	b, err := f.m.Hold("example.org", "r1", msg, t0, noneMet)
	if err != nil || a != b || f.m.Len() != 1 {
		t.Fatalf("re-divert: ids %d, %d (err %v), Len %d; want the same id and one message", a, b, err, f.m.Len())
	}
}

func TestRestart(t *testing.T) {
	t.Run("passed deadlines fire at once, exactly once", func(t *testing.T) {
		f := newFixture(t)
		f.hold(message("m1", expireAt("alert", t0.Add(time.Minute))))
		f.hold(message("m2", expireAt("drop", t0.Add(time.Minute))))
		f.hold(message("m3", expireAt("alert", t0.Add(time.Hour))))
		f.close()
		f.clk.Advance(10 * time.Minute) // ampd is down
		f.open()
		if got := f.act.keys(); !slices.Equal(got, []string{"held-1-rule-0"}) {
			t.Fatalf("on start: keys = %v, want the overdue alert", got)
		}
		if r := f.m.Recovery(); r.Loaded != 3 || r.Overdue != 2 {
			t.Errorf("recovery = %+v, want 3 loaded, 2 overdue", r)
		}
		f.restart()
		f.clk.Advance(2 * time.Hour)
		if got := f.act.keys(); !slices.Equal(got, []string{"held-1-rule-0", "held-3-rule-0"}) {
			t.Errorf("keys = %v", got)
		}
	})
	t.Run("a fired notify does not fire again", func(t *testing.T) {
		f := newFixture(t)
		f.hold(message("m1", expireAt("notify", t0.Add(time.Minute)), expireAt("drop", t0.Add(time.Hour))))
		f.clk.Advance(2 * time.Minute)
		f.restart()
		f.clk.Advance(time.Minute)
		f.restart()
		f.m.Available("bob@example.org")
		if got := f.act.keys(); !slices.Equal(got, []string{"held-1-rule-0", "held-1-release"}) {
			t.Errorf("keys = %v, want one notify then the release", got)
		}
	})
	t.Run("ids are not reused", func(t *testing.T) {
		f := newFixture(t)
		f.hold(message("m1", expireAt("drop", t0.Add(time.Minute))))
		f.clk.Advance(time.Hour)
		f.restart()
		if id := f.hold(message("m2", expireAt("drop", t0.Add(2*time.Hour)))); id != 2 {
			t.Errorf("id after restart = %d, want 2", id)
		}
	})
}

func TestFailedSendIsRetried(t *testing.T) {
	f := newFixture(t)
	f.act.fail = func(call int, _ string) (bool, error) {
		if call <= 2 {
			return false, errSend
		}
		return false, nil
	}
	f.hold(message("m1", expireAt("drop", t0.Add(time.Hour))))
	f.m.Available("bob@example.org")
	if len(f.act.out) != 0 || f.m.Len() != 1 {
		t.Fatalf("after a failed send: out %v, Len %d", f.act.out, f.m.Len())
	}
	f.clk.Advance(time.Second)       // first retry fails too
	f.m.Available("bob@example.org") // a pending release is not decided again
	f.clk.Advance(2 * time.Second)
	if got := f.act.keys(); !slices.Equal(got, []string{"held-1-release"}) || f.m.Len() != 0 {
		t.Errorf("keys = %v, Len %d; want one release", got, f.m.Len())
	}
	f.clk.Advance(2 * time.Hour) // the deadline of a released message does nothing
	if len(f.act.out) != 1 {
		t.Errorf("sent %d stanzas", len(f.act.out))
	}
}

func TestAwaitAck(t *testing.T) {
	f := newFixture(t)
	f.close()
	st, _ := newStore(t, f.path)
	m, err := New(st, f.clk, f.act, Options{AwaitAck: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { m.Close(); st.Close() }()
	m.Hold("example.org", "r1", message("m1", expireAt("drop", t0.Add(time.Hour))), t0, noneMet)
	m.Available("bob@example.org")
	m.Retry() // the connection came back before the ack
	if m.Len() != 1 {
		t.Fatalf("Len before ack = %d", m.Len())
	}
	m.Acked("held-1-release")
	m.Acked("held-1-release")
	if got := f.act.keys(); !slices.Equal(got, []string{"held-1-release", "held-1-release"}) || m.Len() != 0 {
		t.Errorf("keys = %v, Len %d; want a resend with the same key, then nothing held", got, m.Len())
	}
}
