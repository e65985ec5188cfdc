package held

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/store"
)

// fakeClock runs timers synchronously inside Advance, in deadline order.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	fires  int
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock forward by d, running every timer that comes due on the way at
// its own time.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	for {
		var next *fakeTimer
		live := c.timers[:0]
		for _, t := range c.timers {
			if t.stopped {
				continue
			}
			live = append(live, t)
			if !t.at.After(target) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		c.timers = live
		if next == nil {
			break
		}
		next.stopped = true
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.fires++
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
	c.now = target
	c.mu.Unlock()
}

// sent is one Reinject call.
type sent struct {
	host, key, stanza string
}

// recorder is an Actions that records what it is given; fail, when set, decides per call
// whether it fails (and whether the stanza counts as having left anyway).
type recorder struct {
	mu   sync.Mutex
	out  []sent
	fail func(call int, key string) (left bool, err error)
	call int
}

var errSend = errors.New("test: send failed")

func (r *recorder) Reinject(host, key, _ string, stanza []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.call++
	if r.fail != nil {
		if left, err := r.fail(r.call, key); err != nil {
			if left {
				r.out = append(r.out, sent{host, key, string(stanza)})
			}
			return err
		}
	}
	r.out = append(r.out, sent{host, key, string(stanza)})
	return nil
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []string
	for _, s := range r.out {
		ks = append(ks, s.key)
	}
	return ks
}

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// stamp formats t as an expire-at value.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

type rule struct{ action, condition, value string }

func expireAt(action string, at time.Time) rule { return rule{action, "expire-at", stamp(at)} }

// message builds a held AMP request from alice to bob with the given rules.
func message(id string, rules ...rule) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<message xmlns='jabber:client' from='alice@example.org/phone' to='bob@example.org' id='%s' type='chat'><body>hi</body><amp xmlns='http://jabber.org/protocol/amp'>", id)
	for _, r := range rules {
		fmt.Fprintf(&b, "<rule action='%s' condition='%s' value='%s'/>", r.action, r.condition, r.value)
	}
	b.WriteString("</amp></message>")
	return []byte(b.String())
}

// noneMet is the decision of a held message whose rules were not met at receipt.
var noneMet = resolver.Decision{Verdict: resolver.Hold, Disposition: resolver.Stored, Met: -1}

// failer is what a fixture needs of *testing.T and *rapid.T.
type failer interface {
	Helper()
	Fatal(args ...any)
}

type fixture struct {
	t      failer
	path   string
	clk    *fakeClock
	act    *recorder
	st     store.Backend
	m      *Manager
	n      int // divert counter, for ROUTE-IDs
	nosync bool
	// openStore opens another backend than the file at path (each call the same store).
	openStore func() (store.Backend, error)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "held.db"), clk: newFakeClock(t0), act: &recorder{}}
	f.open()
	t.Cleanup(f.close)
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	var st store.Backend
	var err error
	if f.openStore != nil {
		st, err = f.openStore()
	} else {
		st, err = store.Open(f.path, store.Options{UnsafeNoSync: f.nosync})
	}
	if err != nil {
		f.t.Fatal(err)
	}
	m, err := New(st, f.clk, f.act, Options{})
	if err != nil {
		st.Close()
		f.t.Fatal(err)
	}
	f.st, f.m = st, m
}

func (f *fixture) close() {
	if f.m != nil {
		f.m.Close()
		f.st.Close()
		f.m, f.st = nil, nil
	}
}

func (f *fixture) restart() {
	f.close()
	f.open()
}

func (f *fixture) hold(msg []byte) uint64 {
	f.t.Helper()
	f.n++
	id, err := f.m.Hold("example.org", fmt.Sprint("route-", f.n), msg, f.clk.Now(), noneMet)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}
