package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"syscall"
	"time"
)

// The kinds of fault, as counted in the output.
const (
	faultKill          = "ampd-kill9"          // SIGKILL, restart after a pause
	faultStall         = "ampd-stall"          // SIGSTOP, SIGCONT after a pause
	faultRecoveryKill  = "ampd-recovery-kill9" // SIGKILL, restart, SIGKILL again while it recovers, restart
	faultServerRestart = "server-restart"      // senders quiesced, the server stopped and started, clients logged in again
)

var faultKinds = []string{faultKill, faultStall, faultRecoveryKill, faultServerRestart}

// faultPlan draws the faults from the seed: the gap before each, its kind and its pauses.
type faultPlan struct {
	rng                *rand.Rand
	minGap, maxGap     time.Duration
	pendingTimeout     time.Duration // the module's
	killMax, stallMax  time.Duration // the longest an ampd-kill9 keeps ampd away, and an ampd-stall lasts
	serverRestartEvery int           // about one fault in this many is a server restart
}

func (f *faultPlan) gap() time.Duration { return f.between(f.minGap, f.maxGap) }

func (f *faultPlan) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(f.rng.Int64N(int64(hi-lo)+1))
}

func (f *faultPlan) kind() string {
	if f.rng.IntN(f.serverRestartEvery) == 0 {
		return faultServerRestart
	}
	return []string{faultKill, faultStall, faultRecoveryKill}[f.rng.IntN(3)]
}

// inject runs one fault of kind to its end (ampd running again, the server back) and
// returns what it did.
func (s *soak) inject(ctx context.Context, kind string) (string, error) {
	p := s.plan
	switch kind {
	case faultKill:
		// Within the module's grace nobody should see it; past it the module bounces what it
		// kept without a divert.
		down := p.between(100*time.Millisecond, p.killMax)
		s.ampd.kill9()
		sleep(ctx, down)
		return fmt.Sprintf("down %v", down.Round(time.Millisecond)), s.ampd.start()
	case faultStall:
		// A stall past the module's pending timeout makes it bounce what ampd has read but not
		// answered; ampd's late verdicts must then change nothing.
		stall := p.between(200*time.Millisecond, p.stallMax)
		if err := s.ampd.signal(syscall.SIGSTOP); err != nil {
			return "", err
		}
		sleep(ctx, stall)
		return fmt.Sprintf("stopped %v", stall.Round(time.Millisecond)), s.ampd.signal(syscall.SIGCONT)
	case faultRecoveryKill:
		s.ampd.kill9()
		sleep(ctx, p.between(50*time.Millisecond, 500*time.Millisecond))
		if err := s.ampd.start(); err != nil {
			return "", err
		}
		again := p.between(20*time.Millisecond, 800*time.Millisecond) // store recovery, handshake, re-diverts
		sleep(ctx, again)
		s.ampd.kill9()
		sleep(ctx, p.between(50*time.Millisecond, 500*time.Millisecond))
		return fmt.Sprintf("killed again %v after the restart", again.Round(time.Millisecond)), s.ampd.start()
	case faultServerRestart:
		return s.restartServer(ctx)
	}
	return "", fmt.Errorf("unknown fault %q", kind)
}

// restartServer restarts the XMPP server without losing what clients sent. The clients have
// no stream management: a stanza in a TCP buffer, or a request the module keeps in memory
// awaiting a verdict, dies with the server, and no client could tell. So the senders pause,
// each sends one last notify (its verdict comes after those of everything it sent before),
// and the restart waits until every message sent is settled — decided, or held in ampd's
// store, or in the server's offline storage — as a careful operator drains before a restart.
func (s *soak) restartServer(ctx context.Context) (string, error) {
	s.pause.Lock()
	defer s.pause.Unlock()
	for _, snd := range s.senders {
		s.sendOne(snd, OnlineNotify)
	}
	settleStart := time.Now()
	if err := s.waitFor(ctx, 2*s.plan.pendingTimeout+30*time.Second, func() (bool, string) {
		n := s.led.unsettled()
		return n == 0, fmt.Sprintf("%d messages not settled", n)
	}); err != nil {
		slog.Warn("restarting the server with messages not settled; they may be lost with it", "err", err)
	}
	drained := time.Since(settleStart)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	away := Window{From: time.Now()}
	if err := s.srv.Restart(rctx); err != nil {
		return "", fmt.Errorf("restarting %s: %w", s.srv.Kind.Title, err)
	}
	err := s.relogin(ctx)
	away.To = time.Now()
	s.led.sendersAway(away)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("drained in %v", drained.Round(time.Millisecond)), nil
}

// relogin logs every peer that should be online in again, waits for ampd to be connected
// and to see all of them available, so that online-class messages meet deliver=direct.
func (s *soak) relogin(ctx context.Context) error {
	want := 0
	for _, p := range s.allPeers() {
		p.mu.Lock()
		online := p.online
		p.mu.Unlock()
		if !online {
			continue
		}
		p.close()
		if _, err := p.login(ctx); err != nil {
			return err
		}
		want++
	}
	if err := s.ampd.waitReady(ctx); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err := s.ampd.waitMetric(wctx, "ampd_presence_resources", func(v float64) bool { return int(v) == want })
	if err != nil {
		return fmt.Errorf("after the server restart ampd does not see the %d sessions: %w", want, err)
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
