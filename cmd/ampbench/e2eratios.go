package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// pooled is one configuration's runs of one kind (full speed or fixed rate) over all rounds.
type pooled struct {
	runs      []result
	messages  int64
	elapsed   time.Duration
	serverCPU float64 // µs, summed
	ampdCPU   float64 // µs, summed
	replies   int64
	lat       latencies
}

func pool(rows []result, group string, fixedRate bool) *pooled {
	p := &pooled{}
	for _, r := range rows {
		if r.group != group || r.fixedRate != fixedRate {
			continue
		}
		p.runs = append(p.runs, r)
		p.messages += r.messages
		p.elapsed += r.elapsed
		p.serverCPU += r.serverCPUPerMsg * float64(r.messages)
		p.ampdCPU += r.ampdCPUPerMsg * float64(r.messages)
		p.replies += r.replies
		r.lat.mu.Lock()
		p.lat.samples = append(p.lat.samples, r.lat.samples...)
		r.lat.mu.Unlock()
	}
	if len(p.runs) == 0 {
		return nil
	}
	return p
}

func (p *pooled) rate() float64 {
	if p.elapsed <= 0 {
		return 0
	}
	return float64(p.messages) / p.elapsed.Seconds()
}

func (p *pooled) serverPerMsg() float64 {
	if p.messages == 0 {
		return 0
	}
	return p.serverCPU / float64(p.messages)
}

func (p *pooled) ampdPerMsg() float64 {
	if p.messages == 0 {
		return 0
	}
	return p.ampdCPU / float64(p.messages)
}

// ratio is one of issue 15's comparisons: a ÷ b by throughput, and by server CPU per message
// (b's over a's: above 1 means a costs the server less), with its target.
type ratio struct {
	label  string
	a, b   string
	target float64 // 0: for reference only
}

var e2eRatios = []ratio{
	{"plain with module ÷ without", groupPlain, groupNoModule, 0.98},
	{"floor ÷ plain", groupFloor, groupPlain, 0.67},
	{"ampd ÷ floor", groupAmpd, groupFloor, 0.95},
	{"ampd ÷ plain", groupAmpd, groupPlain, 0},
}

// printRatios prints the comparisons the e2e mode exists for, over the sums of the rounds
// and, in brackets, round by round. The verdict on a target is by server CPU per message,
// as issue 15 defines them: unlike the rate it hardly moves when another process takes the
// CPU for a while.
func printRatios(w io.Writer, rows []result) {
	fmt.Fprintln(w)
	for _, q := range e2eRatios {
		a, b := pool(rows, q.a, false), pool(rows, q.b, false)
		if a == nil || b == nil || b.rate() == 0 {
			continue
		}
		var byRate, byCPU []string
		for i := range min(len(a.runs), len(b.runs)) {
			ra, rb := a.runs[i], b.runs[i]
			if rb.rate() > 0 {
				byRate = append(byRate, fmt.Sprintf("%.2f", ra.rate()/rb.rate()))
			}
			if ra.serverCPUPerMsg > 0 {
				byCPU = append(byCPU, fmt.Sprintf("%.2f", rb.serverCPUPerMsg/ra.serverCPUPerMsg))
			}
		}
		line := fmt.Sprintf("%-28s %.2f [%s]", q.label, a.rate()/b.rate(), strings.Join(byRate, " "))
		cpu := 0.0
		if a.serverPerMsg() > 0 {
			cpu = b.serverPerMsg() / a.serverPerMsg()
			line += fmt.Sprintf("   by server CPU per message %.2f [%s] (%.0f vs %.0f µs)", cpu, strings.Join(byCPU, " "), a.serverPerMsg(), b.serverPerMsg())
		}
		if q.target > 0 {
			line += fmt.Sprintf("   target ≥ %.2f: %s", q.target, metOrNot(cpu >= q.target))
		}
		fmt.Fprintln(w, line)
	}
	for _, g := range []string{groupFloor, groupAmpd} {
		if p := pool(rows, g, false); p != nil && p.messages > 0 {
			fmt.Fprintf(w, "AMP replies per message, %-5s %.3f (%d replies)\n", g, float64(p.replies)/float64(p.messages), p.replies)
		}
	}
	printAmpdCPU(w, rows)
	printAddedLatency(w, rows)
}

// printAmpdCPU prints ampd's own CPU per message and when idle.
func printAmpdCPU(w io.Writer, rows []result) {
	full, fixed := pool(rows, groupAmpd, false), pool(rows, groupAmpd, true)
	if full == nil || full.ampdPerMsg() == 0 {
		return
	}
	line := fmt.Sprintf("ampd CPU per message: full speed %.1f µs", full.ampdPerMsg())
	if fixed != nil && fixed.ampdPerMsg() > 0 {
		line += fmt.Sprintf(", at %.0f msgs/s %.1f µs (target ≤ 30: %s)", fixed.rate(), fixed.ampdPerMsg(), metOrNot(fixed.ampdPerMsg() <= 30))
	}
	for _, r := range rows {
		if r.group == groupIdle && r.elapsed > 0 {
			line += fmt.Sprintf("; idle %v in %v (%.3f%% of a core)", r.ampdIdle.Round(time.Microsecond), r.elapsed, 100*r.ampdIdle.Seconds()/r.elapsed.Seconds())
		}
	}
	fmt.Fprintln(w, line)
}

// printAddedLatency prints what AMP adds to the latency at the fixed rate, over plain
// messages with the module loaded: through ampd against the targets, and through the floor.
func printAddedLatency(w io.Writer, rows []result) {
	plain := pool(rows, groupPlain, true)
	if plain == nil {
		return
	}
	p50, p90, p99, _ := plain.lat.percentiles()
	fmt.Fprintf(w, "latency at %.0f msgs/s, plain: p50 %s, p90 %s, p99 %s\n", plain.rate(), us(p50), us(p90), us(p99))
	for _, g := range []string{groupFloor, groupAmpd} {
		p := pool(rows, g, true)
		if p == nil {
			continue
		}
		a50, a90, a99, _ := p.lat.percentiles()
		line := fmt.Sprintf("added by AMP through %-5s p50 %s, p90 %s, p99 %s", g, signed(a50-p50), signed(a90-p90), signed(a99-p99))
		switch {
		case g != groupAmpd:
		case p99 > quietP99:
			// A difference of tails that are stalls of the machine says nothing about AMP.
			line += fmt.Sprintf("   (targets p50 ≤ +0.3 ms, p99 ≤ +1 ms, p90 within 1 ms: not judged, plain's own p99 is %s: the machine is too busy)", us(p99))
		default:
			ok := a50-p50 <= 300*time.Microsecond && a99-p99 <= time.Millisecond
			line += fmt.Sprintf("   (targets p50 ≤ +0.3 ms, p99 ≤ +1 ms: %s; p90 within 1 ms: %s)", metOrNot(ok), metOrNot(a90-p90 <= time.Millisecond))
		}
		fmt.Fprintln(w, line)
	}
}

// quietP99 is the most plain messages' p99 at the fixed rate may be for the latency targets
// to be judged: on a quiet machine it is 0.5-3 ms (§2, §3 of docs/PERFORMANCE.md); above it,
// the tails are the machine's stalls.
const quietP99 = 5 * time.Millisecond

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// signed formats a latency difference with its sign.
func signed(d time.Duration) string {
	if d < 0 {
		return "-" + us(-d)
	}
	return "+" + us(d)
}
