package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// measure runs one measured run: at full speed (rate 0: each sender keeps o.window messages to
// online recipients in flight) or at a fixed rate spread over the senders.
func (b *e2eBench) measure(ctx context.Context, group, name string, withAMP bool, rate int, log io.Writer) result {
	r := b.measureFor(ctx, name, withAMP, rate, b.o.duration, log)
	r.group, r.fixedRate = group, rate > 0
	return r
}

// measureFor is measure for a given duration.
func (b *e2eBench) measureFor(ctx context.Context, name string, withAMP bool, rate int, duration time.Duration, log io.Writer) result {
	r := &e2eRun{seen: map[string]struct{}{}}
	rules := ""
	if withAMP {
		rules, _ = rulesFor(b.o.ampRule)
	}
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
	pdone := make(chan struct{})
	go func() { progress(pctx, log, name, &r.c); close(pdone) }()
	meter := newCPUMeter(b.srv.pid(), b.ampdPID)
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
		if err := b.senders[sender].SendRaw(e2eStanza(to, messageID(idx, sender, time.Now().UnixNano(), seq), rules)); err != nil {
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
	// Every AMP message whose rule is met is owed one notify, by ampd and by the floor alike:
	// those to offline recipients (-amp-rule stored) or to online ones (direct).
	wantReplies := func() int64 {
		switch {
		case !withAMP:
			return 0
		case rules == e2eRulesDirect:
			return r.c.sent.Load()
		}
		return r.sentOffline.Load()
	}
	for deadline := time.Now().Add(5 * time.Second); (r.c.done.Load() < r.c.sent.Load() || r.replies.Load() < wantReplies()) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a message or reply that comes twice comes now
	r.finished.Store(true)
	cpu := meter.done()
	pstop()
	<-pdone // the log is the caller's again
	lost := r.c.sent.Load() - r.c.done.Load()
	wrongReplies := r.replies.Load() - wantReplies()
	if wrongReplies < 0 {
		wrongReplies = -wrongReplies
	}
	elapsed := stopped.Sub(start)
	if last := r.lastDone.Load(); last > 0 {
		elapsed = time.Duration(last - start.UnixNano())
	}
	messages := r.c.done.Load() + r.sentOffline.Load()
	return result{
		name:            name,
		serverCPUPerMsg: cpu.perMessage(messages),
		ampdCPUPerMsg:   cpu.ampdPerMessage(messages),
		replies:         r.replies.Load(),
		messages:        messages,
		elapsed:         elapsed,
		lat:             &r.lat,
		errors:          r.c.errors.Load() + lost + r.doubled.Load() + wrongReplies,
		note: fmt.Sprintf("online %d, offline %d, AMP replies %d (owed %d), lost %d, doubled %d; %s",
			r.c.done.Load(), r.sentOffline.Load(), r.replies.Load(), wantReplies(), lost, r.doubled.Load(),
			cpu.describe(time.Since(start), messages)),
	}
}

// e2eStanza is one message of the e2e load; rules is its <amp/> ("" for none).
func e2eStanza(to, id, rules string) string {
	var sb strings.Builder
	sb.WriteString("<message to='" + to + "' type='chat' id='" + id + "'>")
	sb.WriteString(e2eBody)
	sb.WriteString(rules)
	sb.WriteString("</message>")
	return sb.String()
}

// describeLoad says what the load is, so that runs of different shapes can be compared
// (the message size, the share that goes to offline storage, the window).
func describeLoad(o e2eOptions) string {
	id := messageID(1, 1, time.Now().UnixNano(), 1000)
	rules, _ := rulesFor(o.ampRule)
	plain, withAMP := len(e2eStanza("r1@localhost", id, "")), len(e2eStanza("r1@localhost", id, rules))
	offline := "none to offline storage"
	if o.offline > 0 && o.offlineEvery > 0 {
		offline = fmt.Sprintf("1 in %d to offline storage (%d recipients)", o.offlineEvery, o.offline)
	}
	replies := "AMP messages to offline recipients get a notify reply (deliver=stored)"
	if rules == e2eRulesDirect {
		replies = "AMP messages to online recipients get a notify reply (deliver=direct)"
	}
	return fmt.Sprintf("load: %d senders → %d online recipients, %s; %s; %d in flight per sender at full speed, %d msgs/s fixed; "+
		"stanza ≈ %d bytes plain, %d with AMP", o.senders, o.senders, offline, replies, o.window, o.rate, plain, withAMP)
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
