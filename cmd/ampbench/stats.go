package main

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// latencies collects latency samples from any goroutine.
type latencies struct {
	mu      sync.Mutex
	samples []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, d)
	l.mu.Unlock()
}

// addAll adds a batch under one lock, for the hot path.
func (l *latencies) addAll(ds []time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, ds...)
	l.mu.Unlock()
}

// percentiles returns p50, p90, p99 and max; zeros when there is no sample.
func (l *latencies) percentiles() (p50, p90, p99, max time.Duration) {
	l.mu.Lock()
	s := slices.Clone(l.samples)
	l.mu.Unlock()
	if len(s) == 0 {
		return
	}
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))] }
	return at(0.50), at(0.90), at(0.99), s[len(s)-1]
}

// result is one row of the summary table.
type result struct {
	name     string
	messages int64
	elapsed  time.Duration
	lat      *latencies
	errors   int64
	note     string
	// serverCPUPerMsg is the XMPP server's CPU time per message in µs (e2e; 0 when unknown):
	// unlike the rates, it hardly depends on what else the shared machine is doing.
	serverCPUPerMsg float64
	// ampdCPUPerMsg is ampd's CPU time per message in µs (e2e, ampd as its own process).
	ampdCPUPerMsg float64
	// replies are the AMP replies the senders received (e2e).
	replies int64
	// group is the configuration (e2e: plain-nomod, plain, floor, ampd, ampd idle) and
	// fixedRate whether the run was at -e2e-rate rather than full speed.
	group     string
	fixedRate bool
	// ampdIdle is ampd's CPU over the idle row's span.
	ampdIdle time.Duration
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.messages) / r.elapsed.Seconds()
}

// printTable writes the summary table.
func printTable(w io.Writer, rows []result) {
	fmt.Fprintf(w, "\n%-22s %10s %8s %12s %9s %9s %9s %9s %7s  %s\n",
		"run", "messages", "seconds", "msgs/s", "p50", "p90", "p99", "max", "errors", "note")
	for _, r := range rows {
		p50, p90, p99, max := r.lat.percentiles()
		fmt.Fprintf(w, "%-22s %10d %8.2f %12.0f %9s %9s %9s %9s %7d  %s\n",
			r.name, r.messages, r.elapsed.Seconds(), r.rate(), us(p50), us(p90), us(p99), us(max), r.errors, r.note)
	}
}

// us formats a latency in microseconds or milliseconds, short enough for the table.
func us(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
