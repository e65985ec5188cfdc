package held

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/store"
)

// fill writes n held messages for n recipients to a new store file, with alert deadlines
// spread evenly over span from start, and returns the path and the deadlines by ID.
func fill(b *testing.B, n int, start time.Time, span time.Duration) (string, map[uint64]time.Time) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "held.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	deadlines := make(map[uint64]time.Time, n)
	const batch = 10_000
	for lo := 0; lo < n; lo += batch {
		var rs []*store.Record
		for i := lo; i < min(lo+batch, n); i++ {
			at := start.Add(span * time.Duration(i) / time.Duration(n)).Truncate(time.Millisecond)
			msg := fmt.Appendf(nil, "<message xmlns='jabber:client' from='alice@example.org/phone' to='u%d@example.org' id='m%d' type='chat'><body>a message of a typical length, some sixty bytes</body><amp xmlns='http://jabber.org/protocol/amp'><rule action='alert' condition='expire-at' value='%s'/></amp></message>",
				i, i, at.Format("2006-01-02T15:04:05.000Z"))
			rs = append(rs, &store.Record{
				Host: "example.org", Route: fmt.Sprint("r", i), Recipient: fmt.Sprintf("u%d@example.org", i),
				Message: msg, Received: start, State: store.Held, Rule: -1,
				Deadlines: []store.Deadline{{Rule: 0, At: at}},
			})
		}
		if err := st.PutAll(rs); err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			deadlines[r.ID] = r.Deadlines[0].At
		}
	}
	return path, deadlines
}

func copyFile(b *testing.B, from string) string {
	b.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		b.Fatal(err)
	}
	to := filepath.Join(b.TempDir(), "copy.db")
	if err := os.WriteFile(to, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return to
}

// counter counts re-injects.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) Reinject(string, string, string, []byte) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

// BenchmarkExpiry100k expires 100k held messages whose deadlines are spread over one
// simulated minute, the fake clock advancing in 100 ms ticks; every transition is really
// committed (with fsync), one transaction per tick and phase. It reports the timer fires
// and the deadlines carried out per second of CPU.
func BenchmarkExpiry100k(b *testing.B) {
	const n = 100_000
	src, _ := fill(b, n, t0, time.Minute)
	for b.Loop() {
		b.StopTimer()
		path := copyFile(b, src)
		st, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		clk, act := newFakeClock(t0), &counter{}
		m, err := New(st, clk, act, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for range 610 {
			clk.Advance(100 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if act.n != n || m.Len() != 0 {
			b.Fatalf("%d alerts, %d still held; want %d and 0", act.n, m.Len(), n)
		}
		b.ReportMetric(float64(clk.fires), "timer-fires")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "expiries/s")
		b.ReportMetric(float64(2*n)/elapsed.Seconds(), "heap-ops/s")
		m.Close()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkExpiryRealClock measures how late deadlines are carried out on the system clock:
// deadlines at the rate of 100k per minute, spread over 10 s of real time, with fsync'd
// transitions. It takes about 14 s per iteration; run it alone with -benchtime 1x.
func BenchmarkExpiryRealClock(b *testing.B) {
	const span = 10 * time.Second
	const n = 100_000 * int(span/time.Second) / 60
	for b.Loop() {
		b.StopTimer()
		start := time.Now().Add(3 * time.Second) // room for fill and Open
		path, deadlines := fill(b, n, start, span)
		st, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		act := &latenessRecorder{deadlines: deadlines, done: make(chan struct{}), want: n}
		b.StartTimer()
		m, err := New(st, SystemClock(), act, Options{})
		if err != nil {
			b.Fatal(err)
		}
		select {
		case <-act.done:
		case <-time.After(span + 30*time.Second):
			b.Fatalf("only %d of %d deadlines carried out", len(act.late), n)
		}
		b.StopTimer()
		m.Close()
		st.Close()
		slices.Sort(act.late)
		b.ReportMetric(act.late[len(act.late)*50/100].Seconds()*1000, "p50-late-ms")
		b.ReportMetric(act.late[len(act.late)*90/100].Seconds()*1000, "p90-late-ms")
		b.ReportMetric(act.late[len(act.late)*99/100].Seconds()*1000, "p99-late-ms")
		b.ReportMetric(act.late[len(act.late)-1].Seconds()*1000, "max-late-ms")
		b.StartTimer()
	}
}

type latenessRecorder struct {
	mu        sync.Mutex
	deadlines map[uint64]time.Time
	late      []time.Duration
	want      int
	done      chan struct{}
	msg       amp.Message
}

func (r *latenessRecorder) Reinject(_, key, _ string, _ []byte) error {
	now := time.Now()
	var id uint64
	fmt.Sscanf(key, "held-%d-", &id)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.late = append(r.late, now.Sub(r.deadlines[id]))
	if len(r.late) == r.want {
		close(r.done)
	}
	return nil
}

// BenchmarkRecovery opens a store of 100k held messages and loads them into a manager
// (what ampd does at start), and reports the size on disk per message and the live heap the
// manager keeps per held message (heap-bytes/msg: the message, its parse, its deadlines).
func BenchmarkRecovery(b *testing.B) {
	const n = 100_000
	path, _ := fill(b, n, t0.Add(time.Hour), time.Minute)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var heap float64
	for b.Loop() {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		before := liveHeap()
		m, err := New(st, newFakeClock(t0), &counter{}, Options{})
		if err != nil || m.Len() != n {
			b.Fatalf("loaded %v, %v", m, err)
		}
		heap = float64(liveHeap()-before) / n
		m.Close()
		st.Close()
	}
	b.ReportMetric(float64(fi.Size())/n, "disk-bytes/msg")
	b.ReportMetric(heap, "heap-bytes/msg")
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
