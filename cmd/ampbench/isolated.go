package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/component/componenttest"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/daemon"
	"github.com/ampd-xmpp/ampd/metrics"
)

// isolatedOptions configure the isolated mode.
type isolatedOptions struct {
	duration   time.Duration
	count      int64
	rate       int // diverts per second; 0 = as fast as ampd takes them
	window     int // most diverts in flight
	batch      int // most diverts per write
	mix        mixOptions
	cpuprofile string
	trace      string        // execution trace of the measured run (go tool trace)
	ampdBin    string        // run this ampd binary as a process of its own instead of in-process
	idle       time.Duration // with ampdBin: measure ampd's CPU this long with no load first
}

const benchSecret = "bench-secret"

// runIsolated runs one isolated load against an in-process ampd and returns its summary row.
func runIsolated(ctx context.Context, o isolatedOptions, out io.Writer) (result, error) {
	name := "isolated max"
	if o.rate > 0 {
		name = fmt.Sprintf("isolated %d/s", o.rate)
	}
	c := &counters{}
	lat := &latencies{}
	templates := o.mix.build()
	tr := newTracker(4*o.window+o.batch, len(templates), c, lat)
	server := &serverSide{}
	srv, err := componenttest.Start("127.0.0.1:0", componenttest.Config{
		Domain: benchDomain, Secret: benchSecret, MaxStanzaBytes: 1 << 20,
		OnStanza: func(conn *componenttest.Conn, raw []byte) {
			if !server.iq(conn, raw) {
				tr.onStanza(raw)
			}
		},
	})
	if err != nil {
		return result{}, err
	}
	defer srv.Close()

	dir, err := os.MkdirTemp("", "ampbench-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.Component.Address = srv.Addr()
	cfg.Component.Domain = benchDomain
	cfg.Component.Secret = benchSecret
	cfg.Component.MaxQueued = 1 << 20 // verdicts must never be refused for queue room here
	cfg.Server.Hosts = []string{benchHost}
	// same-domain: every sender of the mix is local, so no roster fetch (the fake server
	// answers none); the decision is otherwise the full one.
	cfg.Privacy.PresencePolicy = config.PolicySameDomain
	cfg.Store.Path = dir + "/ampd.db"
	cfg.HTTP.Listen = ""
	var d *daemon.Daemon // nil when ampd runs as its own process
	ampdPID := 0         // ampd's process when it runs as its own; its CPU is reported
	if o.ampdBin != "" {
		pid, stop, err := startAmpdProcess(o.ampdBin, dir, cfg)
		if err != nil {
			return result{}, err
		}
		defer stop()
		ampdPID = pid
	} else {
		d, err = daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.New(prometheus.NewRegistry()), daemon.Options{})
		if err != nil {
			return result{}, err
		}
		dctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(dctx) }()
		defer func() { stop(); <-done }()
	}

	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := srv.Accept(actx)
	cancel()
	if err != nil {
		return result{}, fmt.Errorf("ampbench: ampd did not connect: %w", err)
	}
	if err := preload(ctx, conn, d, o.mix.presences()); err != nil {
		return result{}, err
	}
	if err := calibrate(ctx, conn, tr, templates); err != nil {
		return result{}, err
	}
	idleNote := ""
	if ampdPID != 0 && o.idle > 0 {
		idleNote = ampdIdleCPU(ctx, ampdPID, o.idle)
		fmt.Fprintln(out, idleNote)
	}

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
		defer pprof.StopCPUProfile()
	}
	if o.trace != "" {
		f, err := os.Create(o.trace)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return result{}, err
		}
		defer trace.Stop()
	}
	pctx, pstop := context.WithCancel(ctx)
	go progress(pctx, out, name, c)
	var ampdCPU *cpuMeter
	if ampdPID != 0 {
		ampdCPU = newCPUMeter(0, ampdPID)
	}
	began := tr.now()
	sendErr := pump(ctx, conn, tr, templates, o)
	// Wait for the verdicts still on their way; what does not come is an error.
	for deadline := time.Now().Add(5 * time.Second); c.done.Load() < c.sent.Load() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	pstop()
	var ampdUse cpuUse
	if ampdCPU != nil {
		ampdUse = ampdCPU.done()
	}
	tr.flush()
	lost := c.sent.Load() - c.done.Load()
	r := result{
		name:     name,
		messages: c.done.Load(),
		elapsed:  time.Duration(tr.lastDone.Load() - began),
		lat:      lat,
		errors:   c.errors.Load() + lost + server.otherIQs.Load(),
		note: fmt.Sprintf("deliver %d discard %d hold %d; lost %d mismatched %d unknown %d; remote disco answered %d, other iqs %d",
			tr.actions[actionDeliver].Load(), tr.actions[actionDiscard].Load(), tr.actions[actionHold].Load(),
			lost, tr.mismatch.Load(), tr.unknown.Load(), server.discoAnswered.Load(), server.otherIQs.Load()),
	}
	if o.ampdBin != "" {
		r.note += "; ampd as its own process"
		if ampdUse.ampdKnown {
			r.note += fmt.Sprintf(", ampd CPU %.0f%% (%.1f µs/msg)",
				100*ampdUse.ampd.Seconds()/r.elapsed.Seconds(), ampdUse.ampdPerMessage(r.messages))
		}
		if idleNote != "" {
			r.note += "; " + idleNote
		}
	}
	return r, sendErr
}

// preload sends the presences of the online recipients and waits until ampd has them all.
// preload sends the mix's presences. With an in-process ampd it also waits until they are in
// its table; a separate process handles them before the calibration diverts sent after them
// (one connection, handled in order).
func preload(ctx context.Context, conn *componenttest.Conn, d *daemon.Daemon, presences []string) error {
	var b []byte
	for i, p := range presences {
		b = append(b, p...)
		if len(b) > 64<<10 || i == len(presences)-1 {
			if err := conn.Send(string(b)); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	if d == nil {
		return nil
	}
	return waitFor(ctx, 30*time.Second, func() bool { return d.Presence().Len() >= len(presences) },
		"ampbench: ampd did not take the preloaded presences")
}

// calibrate sends every template once and records its verdict as the one expected under load.
func calibrate(ctx context.Context, conn *componenttest.Conn, tr *tracker, templates []template) error {
	var b []byte
	for i := range templates {
		b = templates[i].appendStanza(b, []byte("c"+strconv.Itoa(i)))
		if len(b) > 64<<10 || i == len(templates)-1 {
			if err := conn.Send(string(b)); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	return waitFor(ctx, 30*time.Second, func() bool { return tr.calDone.Load() >= int64(len(templates)) },
		"ampbench: ampd did not answer every calibration divert")
}

// pump writes diverts until the duration or count is reached, keeping at most o.window in
// flight and, with o.rate, to the schedule of that rate.
func pump(ctx context.Context, conn *componenttest.Conn, tr *tracker, templates []template, o isolatedOptions) error {
	c := tr.c
	start := time.Now()
	end := start.Add(o.duration)
	buf := make([]byte, 0, o.batch*700)
	id := make([]byte, 0, 24)
	var seq uint64
	for int64(seq) < o.count {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		now := time.Now()
		if now.After(end) {
			return nil
		}
		n := o.batch
		if o.rate > 0 {
			due := int64(float64(o.rate)*now.Sub(start).Seconds()) - int64(seq)
			if due <= 0 {
				time.Sleep(20 * time.Microsecond)
				continue
			}
			n = int(min(due, int64(n)))
		}
		if room := o.window - int(c.sent.Load()-c.done.Load()); room < n {
			if room <= 0 {
				time.Sleep(20 * time.Microsecond)
				continue
			}
			n = room
		}
		n = int(min(int64(n), o.count-int64(seq)))
		buf = buf[:0]
		at := tr.now()
		for range n {
			t := int(seq * 2654435761 % uint64(len(templates))) // spread over the mix, deterministic
			id = strconv.AppendUint(append(id[:0], 'b'), seq, 10)
			buf = templates[t].appendStanza(buf, id)
			tr.sent(seq, t, at)
			seq++
		}
		c.sent.Add(int64(n))
		if err := conn.SendBytes(buf); err != nil { // no copy: the harness's garbage would slow ampd's collector
			return fmt.Errorf("ampbench: writing diverts: %w", err)
		}
	}
	return nil
}

// waitFor polls cond until it holds, ctx ends or limit passes.
func waitFor(ctx context.Context, limit time.Duration, cond func() bool, msg string) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return errors.New(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}
