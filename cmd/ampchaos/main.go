// Command ampchaos is a chaos soak of ampd against a real XMPP server: for a bounded time many
// senders stream a mix of AMP requests (every action; online, offline and held recipients;
// expire-at deadlines inside the run) while ampd is killed, stalled, restarted during its own
// recovery, and the server restarted, at random seeded intervals. At the end every message is
// accounted for against amp-semantics.md: one allowed outcome, each part once, or bounced once
// where the module gave up — and nothing else. See docs/RELIABILITY.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

type options struct {
	server         string
	duration       time.Duration
	seed           uint64
	rate           int
	pairs          int
	ampdBin        string
	dir            string
	pendingTimeout time.Duration
	downGrace      time.Duration
	killMax        time.Duration
	stallMax       time.Duration
	minGap, maxGap time.Duration
}

func main() {
	var o options
	fs := flag.NewFlagSet("ampchaos", flag.ExitOnError)
	fs.StringVar(&o.server, "server", "prosody", "the XMPP server: "+strings.Join(serverkind.Names(), ", "))
	fs.DurationVar(&o.duration, "duration", 5*time.Minute, "how long traffic and faults run (the final accounting comes after)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the traffic mix and the fault plan (0: from the clock; printed)")
	fs.IntVar(&o.rate, "rate", 40, "AMP requests per second, over all senders")
	fs.IntVar(&o.pairs, "pairs", 8, "sender/online-recipient pairs (plus 4 offline and 6 held recipients)")
	fs.StringVar(&o.ampdBin, "ampd-bin", "", "the ampd binary (default: built from this checkout)")
	fs.StringVar(&o.dir, "dir", "", "keep the server's and ampd's files and logs here (default: a temporary directory, removed on success)")
	fs.DurationVar(&o.pendingTimeout, "pending-timeout", 8*time.Second, "the module's pending timeout (whole seconds; counted from the request's arrival, so keep it above -kill-max)")
	fs.DurationVar(&o.downGrace, "down-grace", 3*time.Second, "the module's down grace (whole seconds)")
	fs.DurationVar(&o.killMax, "kill-max", 6*time.Second, "the longest an ampd-kill9 keeps ampd away (past -down-grace the module bounces what it kept)")
	fs.DurationVar(&o.stallMax, "stall-max", 16*time.Second, "the longest SIGSTOP of ampd (past -pending-timeout the module bounces what ampd has read)")
	fs.DurationVar(&o.minGap, "min-gap", 2*time.Second, "shortest pause between two faults")
	fs.DurationVar(&o.maxGap, "max-gap", 8*time.Second, "longest pause between two faults")
	_ = fs.Parse(os.Args[1:])
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ampchaos:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// soak is one run.
type soak struct {
	o    options
	srv  *testserver.Server
	ampd *ampdRunner
	led  *ledger
	plan *faultPlan
	end  time.Time // end of traffic and faults

	senders, online, stored []*peer
	held                    []*heldPeer

	// pause: senders and recipient logins hold it for reading; a server restart for writing.
	pause     sync.RWMutex
	trafficMu sync.Mutex
	traffic   *rand.Rand
	seq       int
}

func (s *soak) allPeers() []*peer {
	all := append(append(append([]*peer(nil), s.senders...), s.online...), s.stored...)
	for _, h := range s.held {
		all = append(all, h.peer)
	}
	return all
}

// run does the whole soak and reports; ok is the accounting's result, err a harness failure.
func run(ctx context.Context, o options, out io.Writer) (ok bool, err error) {
	k, err := serverkind.Lookup(o.server)
	if err != nil {
		return false, err
	}
	if !testserver.Installed(k) {
		return false, fmt.Errorf("%s is not installed (run %s)", k.Title, testserver.InstallScript(k))
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ampchaos-"); err != nil {
			return false, err
		}
		defer func() {
			if ok && err == nil {
				os.RemoveAll(dir)
			} else {
				fmt.Fprintf(out, "files and logs kept in %s\n", dir)
			}
		}()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	fmt.Fprintf(out, "ampchaos: seed %d, server %s, duration %v, pending timeout %v, down grace %v, kills up to %v, stalls up to %v\n",
		o.seed, k.Name, o.duration, o.pendingTimeout, o.downGrace, o.killMax, o.stallMax)

	bin := o.ampdBin
	if bin == "" {
		if bin, err = testserver.BuildAmpd(ctx, dir); err != nil {
			return false, err
		}
	}
	s := &soak{o: o, led: newLedger(), traffic: rand.New(rand.NewPCG(o.seed, 1))}
	s.plan = &faultPlan{rng: rand.New(rand.NewPCG(o.seed, 2)), minGap: o.minGap, maxGap: o.maxGap,
		pendingTimeout: o.pendingTimeout, killMax: o.killMax, stallMax: o.stallMax, serverRestartEvery: 6}

	users := map[string]string{}
	mk := func(name string) *peer {
		users[name] = "pw-" + name
		return &peer{user: name, pass: "pw-" + name, resource: "chaos", led: s.led}
	}
	for i := range o.pairs {
		s.senders = append(s.senders, mk(fmt.Sprintf("sender%d", i)))
		s.online = append(s.online, mk(fmt.Sprintf("online%d", i)))
	}
	for i := range 4 {
		s.stored = append(s.stored, mk(fmt.Sprintf("stored%d", i)))
	}
	for i := range 6 {
		s.held = append(s.held, &heldPeer{peer: mk(fmt.Sprintf("held%d", i))})
	}

	slog.Info("starting the server", "server", k.Title, "dir", dir)
	srv, err := testserver.Start(ctx, k, testserver.Options{Dir: filepath.Join(dir, "server"), Users: users, LogLevel: "info",
		PendingTimeout: o.pendingTimeout, DownGrace: o.downGrace})
	if err != nil {
		return false, err
	}
	defer srv.Stop()
	s.srv = srv
	for _, p := range s.allPeers() {
		p.host, p.addr = srv.Host, srv.C2SAddr
	}

	port, err := sandboxproc.FreePort()
	if err != nil {
		return false, err
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", port)
	cfgPath, err := testserver.WriteAmpdConfig(dir, "Written by ampchaos.", ampdConfig(srv, httpAddr))
	if err != nil {
		return false, err
	}
	s.ampd = &ampdRunner{bin: bin, cfgPath: cfgPath, logPath: filepath.Join(dir, "ampd.log"), httpAddr: httpAddr}
	if err := s.ampd.start(); err != nil {
		return false, err
	}
	defer func() {
		if s.ampd.stopped {
			_ = s.ampd.signal(syscall.SIGCONT)
		}
		_ = s.ampd.proc.Stop()
	}()
	if err := s.ampd.waitReady(ctx); err != nil {
		return false, err
	}
	for _, p := range append(append([]*peer(nil), s.senders...), s.online...) {
		if _, err := p.login(ctx); err != nil {
			return false, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	_, err = s.ampd.waitMetric(wctx, "ampd_presence_resources", func(v float64) bool { return int(v) == 2*o.pairs })
	cancel()
	if err != nil {
		return false, fmt.Errorf("ampd does not see the %d sessions: %w", 2*o.pairs, err)
	}

	start := time.Now()
	s.end = start.Add(o.duration)
	for i, h := range s.held {
		// Spread over the middle of the run: held messages to each are sent before, their
		// deadlines fall before and after.
		h.onlineAt = start.Add(o.duration * time.Duration(15+70*i/max(1, len(s.held)-1)) / 100)
	}
	counts := map[string]int{}
	var wg sync.WaitGroup
	runCtx, stopRun := context.WithDeadline(ctx, s.end)
	defer stopRun()
	harnessErr := make(chan error, 3)
	wg.Add(3)
	go func() { defer wg.Done(); s.sendLoop(runCtx) }()
	go func() { defer wg.Done(); harnessErr <- s.heldLogins(runCtx) }()
	go func() { defer wg.Done(); harnessErr <- s.faultLoop(runCtx, counts) }()
	go s.progress(runCtx, start, counts)
	wg.Wait()
	close(harnessErr)
	for e := range harnessErr {
		if e != nil {
			return false, e
		}
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err := s.finish(ctx); err != nil {
		return false, err
	}
	return s.report(out, counts), nil
}

// sendLoop sends o.rate messages a second from senders drawn from the traffic seed.
func (s *soak) sendLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second / time.Duration(max(1, s.o.rate)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.pause.RLock()
		s.trafficMu.Lock()
		snd := s.senders[s.traffic.IntN(len(s.senders))]
		class := pickClass(s.traffic)
		s.trafficMu.Unlock()
		s.sendOne(snd, class)
		s.pause.RUnlock()
	}
}

// heldLogins brings each held recipient online at its time.
func (s *soak) heldLogins(ctx context.Context) error {
	for _, h := range s.held {
		sleep(ctx, time.Until(h.onlineAt))
		if ctx.Err() != nil {
			return nil
		}
		if err := s.loginHeld(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

func (s *soak) loginHeld(ctx context.Context, h *heldPeer) error {
	s.pause.RLock()
	defer s.pause.RUnlock()
	at, err := h.login(ctx)
	if err != nil {
		return err
	}
	s.led.recipientOnline(h.bare(), at)
	slog.Info("held recipient online", "jid", h.bare())
	return nil
}

// faultLoop injects faults at the plan's intervals until ctx ends; each fault runs to its end.
func (s *soak) faultLoop(ctx context.Context, counts map[string]int) error {
	for {
		sleep(ctx, s.plan.gap())
		if ctx.Err() != nil {
			return nil
		}
		kind := s.plan.kind()
		f := faultEvent{Kind: kind, Start: time.Now()}
		slog.Info("fault", "kind", kind)
		detail, err := s.inject(context.WithoutCancel(ctx), kind)
		f.End, f.Detail = time.Now(), detail
		s.led.fault(f)
		s.trafficMu.Lock()
		counts[kind]++
		s.trafficMu.Unlock()
		if err != nil {
			return fmt.Errorf("fault %s: %w", kind, err)
		}
		slog.Info("fault over", "kind", kind, "detail", detail, "took", f.End.Sub(f.Start).Round(time.Millisecond))
	}
}

// progress logs a line every few seconds.
func (s *soak) progress(ctx context.Context, start time.Time, counts map[string]int) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.trafficMu.Lock()
		faults := fmt.Sprint(counts)
		s.trafficMu.Unlock()
		slog.Info("progress", "elapsed", time.Since(start).Round(time.Second), "sent", s.led.count(),
			"incomplete", s.led.incomplete(), "faults", faults)
	}
}

// finish lets everything owed arrive: ampd running, every recipient logged in (the offline
// ones get their stored messages), every held message released or expired, then a quiet
// period in which a duplicate would show.
func (s *soak) finish(ctx context.Context) error {
	if s.ampd.stopped {
		if err := s.ampd.signal(syscall.SIGCONT); err != nil {
			return err
		}
	}
	if !s.ampd.alive() {
		if err := s.ampd.start(); err != nil {
			return err
		}
	}
	if err := s.ampd.waitReady(ctx); err != nil {
		return err
	}
	for _, p := range s.stored {
		if _, err := p.login(ctx); err != nil {
			return err
		}
	}
	for _, h := range s.held {
		h.mu.Lock()
		online := h.online
		h.mu.Unlock()
		if !online {
			if err := s.loginHeld(ctx, h); err != nil {
				return err
			}
		}
	}
	slog.Info("traffic over; waiting for every outcome", "messages", s.led.count())
	limit := 2*s.o.pendingTimeout + time.Minute
	if err := s.waitFor(ctx, limit, func() (bool, string) {
		n := s.led.incomplete()
		return n == 0, fmt.Sprintf("%d messages without a complete outcome", n)
	}); err != nil {
		slog.Warn("accounting what arrived", "err", err)
	}
	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if v, err := s.ampd.waitMetric(hctx, "ampd_held_messages", func(v float64) bool { return v == 0 }); err != nil {
		slog.Warn("ampd still holds messages", "held", v, "err", err)
		s.led.seen("", Observation{Kind: KindOther, At: time.Now(), Client: "ampd", Raw: fmt.Sprintf("ampd_held_messages is %v at the end: messages stuck in ampd's store", v)})
	}
	sleep(ctx, 3*time.Second) // anything doubled arrives now
	for _, p := range s.allPeers() {
		p.close()
	}
	return nil
}

// waitFor polls cond until it holds, limit passes or ctx ends; the error carries cond's last
// description.
func (s *soak) waitFor(ctx context.Context, limit time.Duration, cond func() (bool, string)) error {
	deadline := time.Now().Add(limit)
	last := time.Now()
	for {
		done, what := cond()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %s", limit, what)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(last) > 5*time.Second {
			slog.Info("waiting", "for", what)
			last = time.Now()
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// report prints the seed, the faults and the accounting; with a failure, each failing
// message's whole story. It returns whether everything was accounted for.
func (s *soak) report(out io.Writer, counts map[string]int) bool {
	stories, strays, faults := s.led.snapshot()
	var lost, dup, unexplained int
	outcomes := map[string]int{}
	var failing []Story
	var why []string
	for _, st := range stories {
		v := Judge(st)
		switch {
		case v.Complete:
			outcomes[string(st.Class)+" "+v.Outcome]++
			continue
		case v.Lost:
			lost++
		case v.Duplicated:
			dup++
		default:
			unexplained++
		}
		failing = append(failing, st)
		why = append(why, v.Why)
	}
	unexplained += len(strays)

	fmt.Fprintf(out, "seed %d, server %s, %v of traffic and faults\n", s.o.seed, s.srv.Kind.Name, s.o.duration)
	total := 0
	var parts []string
	for _, k := range faultKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
		total += counts[k]
	}
	fmt.Fprintf(out, "faults: %d (%s)\n", total, strings.Join(parts, ", "))
	fmt.Fprintln(out, "outcomes:")
	for _, k := range sortedKeys(outcomes) {
		fmt.Fprintf(out, "  %-40s %d\n", k, outcomes[k])
	}
	for i, st := range failing {
		fmt.Fprintf(out, "\nFAIL %s: %s\n", st.ID, why[i])
		printStory(out, st, faults)
	}
	for _, o := range strays {
		fmt.Fprintf(out, "\nUNEXPLAINED stanza at %s to %s: %s\n", o.At.Format(time.RFC3339Nano), o.Client, o.Raw)
	}
	fmt.Fprintf(out, "%d messages, %d lost, %d duplicated, %d unexplained\n", len(stories), lost, dup, unexplained)
	return lost == 0 && dup == 0 && unexplained == 0
}

// printStory writes what was sent and when, every fault from 10 s before it was sent to 10 s
// after the last thing received for it (or the deadline), and everything received.
func printStory(out io.Writer, st Story, faults []faultEvent) {
	fmt.Fprintf(out, "  class %s, from %s to %s, sent %s\n", st.Class, st.From, st.To, st.Sent.Format(time.RFC3339Nano))
	if st.Class == Held {
		online := "not before the end"
		if !st.OnlineAt.IsZero() {
			online = st.OnlineAt.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(out, "  expire-at %s (%s), recipient online %s\n", st.Deadline.Format(time.RFC3339Nano), st.ExpireAction, online)
	}
	fmt.Fprintf(out, "  sent: %s\n", st.Raw)
	from, to := st.Sent.Add(-10*time.Second), st.Sent.Add(10*time.Second)
	for _, t := range []time.Time{st.Deadline, st.OnlineAt} {
		if t.Add(10 * time.Second).After(to) {
			to = t.Add(10 * time.Second)
		}
	}
	for _, o := range st.Seen {
		if o.At.Add(10 * time.Second).After(to) {
			to = o.At.Add(10 * time.Second)
		}
	}
	for _, f := range faults {
		if f.End.After(from) && f.Start.Before(to) {
			fmt.Fprintf(out, "  fault %s %s … %s (%s)\n", f.Kind, f.Start.Format("15:04:05.000"), f.End.Format("15:04:05.000"), f.Detail)
		}
	}
	if len(st.Seen) == 0 {
		fmt.Fprintln(out, "  received: nothing")
	}
	for _, o := range st.Seen {
		fmt.Fprintf(out, "  received %s at %s by %s: %s\n", o.Kind, o.At.Format("15:04:05.000"), o.Client, o.Raw)
	}
}

func sortedKeys(m map[string]int) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
