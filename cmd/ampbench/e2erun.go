package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/daemon"
	"github.com/ampd-xmpp/ampd/metrics"
)

// measure runs one measured run: at full speed (rate 0: each sender keeps o.window messages to
// online recipients in flight) or at a fixed rate spread over the senders.
func (b *e2eBench) measure(ctx context.Context, name string, withAMP bool, rate int, log io.Writer) result {
	return b.measureFor(ctx, name, withAMP, rate, b.o.duration, log)
}

// measureFor is measure for a given duration.
func (b *e2eBench) measureFor(ctx context.Context, name string, withAMP bool, rate int, duration time.Duration, log io.Writer) result {
	r := &e2eRun{}
	n := len(b.senders)
	if rate == 0 {
		r.tokens = make([]chan struct{}, n)
		for i := range r.tokens {
			r.tokens[i] = make(chan struct{}, b.o.window)
			for range b.o.window {
				r.tokens[i] <- struct{}{}
			}
		}
	}
	b.mu.Lock()
	b.runs = append(b.runs, r)
	idx := len(b.runs) - 1
	b.mu.Unlock()

	pctx, pstop := context.WithCancel(ctx)
	go progress(pctx, log, name, &r.c)
	meter := newCPUMeter(b.srv.pid())
	start := time.Now()
	end := start.Add(duration)
	var total atomicCounter
	send := func(sender int, seq int64) {
		if total.add() > b.o.count {
			return
		}
		var to string
		offline := b.o.offline > 0 && b.o.offlineEvery > 0 && seq%int64(b.o.offlineEvery) == int64(b.o.offlineEvery-1)
		if offline {
			to = fmt.Sprintf("o%d@%s", (int(seq)+sender)%b.o.offline, b.srv.host)
		} else {
			to = fmt.Sprintf("r%d@%s", (int(seq)+sender)%n, b.srv.host)
		}
		var sb strings.Builder
		sb.WriteString("<message to='" + to + "' type='chat' id='" + messageID(idx, sender, time.Now().UnixNano(), seq) + "'>")
		sb.WriteString(e2eBody)
		if withAMP {
			sb.WriteString(e2eRules)
		}
		sb.WriteString("</message>")
		if err := b.senders[sender].SendRaw(sb.String()); err != nil {
			r.c.errors.Add(1)
			return
		}
		if offline {
			r.sentOffline.Add(1)
		} else {
			r.c.sent.Add(1)
		}
	}
	if rate == 0 {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				timer := time.NewTimer(time.Until(end))
				defer timer.Stop()
				for seq := int64(0); total.load() < b.o.count; seq++ {
					if b.o.offlineEvery == 0 || seq%int64(b.o.offlineEvery) != int64(b.o.offlineEvery-1) {
						select {
						case <-r.tokens[i]:
						case <-timer.C:
							return
						case <-ctx.Done():
							return
						}
					}
					if time.Now().After(end) {
						return
					}
					send(i, seq)
				}
			}()
		}
		wg.Wait()
	} else {
		interval := time.Second / time.Duration(rate)
		for seq := int64(0); total.load() < b.o.count && ctx.Err() == nil; seq++ {
			due := start.Add(time.Duration(seq) * interval)
			if due.After(end) {
				break
			}
			time.Sleep(time.Until(due))
			send(int(seq)%n, seq/int64(n))
		}
	}
	stopped := time.Now()
	for deadline := time.Now().Add(5 * time.Second); r.c.done.Load() < r.c.sent.Load() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if b.o.offline > 0 && b.o.offlineEvery > 0 {
		time.Sleep(100 * time.Millisecond) // the last AMP replies of offline messages
	}
	r.finished.Store(true)
	cpu := meter.done()
	pstop()
	lost := r.c.sent.Load() - r.c.done.Load()
	elapsed := stopped.Sub(start)
	if last := r.lastDone.Load(); last > 0 {
		elapsed = time.Duration(last - start.UnixNano())
	}
	messages := r.c.done.Load() + r.sentOffline.Load()
	return result{
		name:            name,
		serverCPUPerMsg: cpu.perMessage(messages),
		messages:        messages,
		elapsed:         elapsed,
		lat:             &r.lat,
		errors:          r.c.errors.Load() + lost,
		note: fmt.Sprintf("online %d, offline %d, AMP replies %d, lost %d; %s",
			r.c.done.Load(), r.sentOffline.Load(), r.replies.Load(), lost,
			cpu.describe(time.Since(start), messages)),
	}
}

// atomicCounter counts messages across senders, for the -n bound.
type atomicCounter struct {
	mu sync.Mutex
	n  int64
}

func (a *atomicCounter) add() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	return a.n
}

func (a *atomicCounter) load() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// startAmpd runs ampd in-process in front of the sandbox and waits until it is ready and has
// the presences of the connected clients.
func (b *e2eBench) startAmpd(ctx context.Context, dir string) (stop func(), err error) {
	cfg := config.Default()
	cfg.Component.Address = b.srv.componentAddr
	cfg.Component.Domain = b.srv.componentDomain
	cfg.Component.Secret = b.srv.secret
	cfg.Component.ReconnectMin = 100 * time.Millisecond
	cfg.Component.ReconnectMax = time.Second
	cfg.Server.Hosts = []string{b.srv.host}
	// same-domain: all clients are local, so no roster fetch; the verdicts are the same as
	// with the roster policy for contacts.
	cfg.Privacy.PresencePolicy = config.PolicySameDomain
	cfg.HTTP.Listen = ""
	cfg.Store.Path = dir + "/ampd.db"
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.New(prometheus.NewRegistry()), daemon.Options{})
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(dctx) }()
	stop = func() { cancel(); <-done }
	if err := waitFor(ctx, 15*time.Second, func() bool { return d.Ready() == nil }, "ampbench: ampd did not become ready"); err != nil {
		stop()
		return nil, err
	}
	want := len(b.senders) + len(b.recipients)
	if err := waitFor(ctx, 10*time.Second, func() bool { return d.Presence().Len() >= want },
		fmt.Sprintf("ampbench: ampd did not learn the %d presences", want)); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// printRatios prints the comparisons the e2e mode exists for.
func printRatios(w io.Writer, rows []result) {
	find := func(prefix, suffix string) *result {
		for i := range rows {
			if strings.HasPrefix(rows[i].name, prefix) && strings.HasSuffix(rows[i].name, suffix) {
				return &rows[i]
			}
		}
		return nil
	}
	plain, floor, ampd := find("plain", "max"), find("floor", "max"), find("ampd", "max")
	fmt.Fprintln(w)
	// The server's CPU per message gives the same ratio when the server is the bottleneck,
	// and does not move when another process takes the CPU for a while.
	cpuRatio := func(a, b *result) string {
		if a.serverCPUPerMsg == 0 || b.serverCPUPerMsg == 0 {
			return ""
		}
		return fmt.Sprintf("; by server CPU per message %.2f", b.serverCPUPerMsg/a.serverCPUPerMsg)
	}
	if plain != nil && floor != nil && plain.rate() > 0 {
		fmt.Fprintf(w, "floor ÷ plain  %.2f   (target ≥ 0.5)%s\n", floor.rate()/plain.rate(), cpuRatio(floor, plain))
	}
	if floor != nil && ampd != nil && floor.rate() > 0 {
		fmt.Fprintf(w, "ampd ÷ floor   %.2f   (target ≥ 0.9)%s\n", ampd.rate()/floor.rate(), cpuRatio(ampd, floor))
	}
	fr, ar := find("floor", "/s"), find("ampd", "/s")
	if fr != nil && ar != nil {
		f50, f90, f99, _ := fr.lat.percentiles()
		a50, a90, a99, _ := ar.lat.percentiles()
		fmt.Fprintf(w, "latency added by ampd over the floor at %s: p50 %s, p90 %s, p99 %s   (target p99 ≤ 1 ms; negative = within the noise)\n",
			strings.TrimPrefix(ar.name, "ampd "), signed(a50-f50), signed(a90-f90), signed(a99-f99))
	}
}

// signed formats a latency difference with its sign.
func signed(d time.Duration) string {
	if d < 0 {
		return "-" + us(-d)
	}
	return "+" + us(d)
}
