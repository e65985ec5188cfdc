package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/route"
)

// Every template of the mix is a divert ampd can read, of about the size the issue asks for,
// whose inner message is an AMP request.
func TestMixIsValidDiverts(t *testing.T) {
	o := mixOptions{templates: 500, recipients: 100, online: 0.5, seed: 3}
	for i, tmpl := range o.build() {
		raw := tmpl.appendStanza(nil, []byte("b"+strconv.Itoa(i)))
		if n := len(raw); n < 450 || n > 800 {
			t.Errorf("template %d is %d bytes, want about 600", i, n)
		}
		div, err := route.ParseDivert(raw)
		if err != nil {
			t.Fatalf("template %d: %v\n%s", i, err, raw)
		}
		if div.ID != "b"+strconv.Itoa(i) || div.Host != benchHost {
			t.Errorf("template %d: route id %q host %q", i, div.ID, div.Host)
		}
		var m amp.Message
		if err := amp.ParseMessage(div.Message, &m); err != nil || !m.IsRequest() {
			t.Errorf("template %d: inner message is not an AMP request (%v)\n%s", i, err, div.Message)
		}
	}
}

func TestPresencesOnlyForOnlineRecipients(t *testing.T) {
	o := mixOptions{recipients: 2000, online: 0.25}
	if got := len(o.presences()); got != 500 {
		t.Errorf("%d presences for 2000 recipients at 25%%, want 500", got)
	}
}

// The tracker matches batched verdicts by route id, learns the expected verdict from the
// calibration, and counts mismatches, repeats and unknown ids as errors.
func TestTrackerMatchesVerdicts(t *testing.T) {
	c := &counters{}
	lat := &latencies{}
	tr := newTracker(16, 2, c, lat)
	tr.onStanza([]byte(`<message from='amp.localhost' to='localhost'>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='c0' action='deliver'/>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='c1' action='discard'><message xmlns='jabber:client' to='a@localhost/x' id='m'><body>route='b9' action='hold'</body></message></verdict>` +
		`</message>`))
	if tr.calDone.Load() != 2 || tr.expected[0].Load() != uint32(actionDeliver) || tr.expected[1].Load() != uint32(actionDiscard) {
		t.Fatalf("calibration: done %d, expected %d %d", tr.calDone.Load(), tr.expected[0].Load(), tr.expected[1].Load())
	}
	if tr.replies[1].Load() != 1 || tr.replies[0].Load() != 0 {
		t.Errorf("replies: %d %d, want 0 1", tr.replies[0].Load(), tr.replies[1].Load())
	}
	at := tr.now()
	tr.sent(1, 0, at)
	tr.sent(2, 1, at)
	tr.sent(3, 1, at)
	tr.onStanza([]byte(`<message><verdict xmlns='urn:x-ampd:route:0' route='b1' action='deliver'/>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='b2' action='deliver'/></message>`))
	tr.onStanza([]byte(`<message><verdict xmlns='urn:x-ampd:route:0' route='b1' action='deliver'/></message>`))
	tr.onStanza([]byte(`<message><verdict xmlns='urn:x-ampd:route:0' route='zz' action='deliver'/></message>`))
	tr.flush()
	if c.done.Load() != 2 {
		t.Errorf("done %d, want 2 (b1, b2)", c.done.Load())
	}
	if tr.mismatch.Load() != 1 || tr.unknown.Load() != 2 || c.errors.Load() != 3 {
		t.Errorf("mismatch %d unknown %d errors %d, want 1 2 3", tr.mismatch.Load(), tr.unknown.Load(), c.errors.Load())
	}
	if len(lat.samples) != 2 {
		t.Errorf("%d latency samples, want 2", len(lat.samples))
	}
}

func TestMessageIDRoundTrip(t *testing.T) {
	id := messageID(3, 17, 1763690000123456789, 42)
	run, sender, at, ok := parseID([]byte(id))
	if !ok || run != 3 || sender != 17 || at != 1763690000123456789 {
		t.Errorf("parseID(%q) = %d %d %d %v", id, run, sender, at, ok)
	}
	for _, bad := range []string{"", "b", "m1", "b1-2-3", "bx-1-2-3", "b1-2-x-3"} {
		if _, _, _, ok := parseID([]byte(bad)); ok {
			t.Errorf("parseID(%q) accepted", bad)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var l latencies
	for i := 100; i >= 1; i-- {
		l.add(time.Duration(i) * time.Millisecond)
	}
	p50, p90, p99, max := l.percentiles()
	if p50 != 50*time.Millisecond || p90 != 90*time.Millisecond || p99 != 99*time.Millisecond || max != 100*time.Millisecond {
		t.Errorf("percentiles %v %v %v %v", p50, p90, p99, max)
	}
}

// A short isolated run against a real in-process ampd answers every divert as calibrated.
func TestIsolatedRunHasNoErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an in-process ampd; skipped under -short")
	}
	for _, rate := range []int{0, 20000} {
		r, err := runIsolated(context.Background(), isolatedOptions{
			duration: 10 * time.Second, count: 3000, rate: rate, window: 256, batch: 32,
			mix: mixOptions{templates: 200, recipients: 100, online: 0.5, seed: 1},
		}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if r.errors != 0 || r.messages != 3000 {
			t.Errorf("rate %d: %d verdicts, %d errors (%s); want 3000 and 0", rate, r.messages, r.errors, r.note)
		}
	}
}

// The same against ampd as a process of its own (-ampd-bin), built from this checkout.
func TestIsolatedRunAgainstAmpdProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ampd binary; skipped under -short")
	}
	bin := filepath.Join(t.TempDir(), "ampd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/ampd-xmpp/ampd/cmd/ampd").CombinedOutput(); err != nil {
		t.Fatalf("building ampd: %v\n%s", err, out)
	}
	r, err := runIsolated(context.Background(), isolatedOptions{
		duration: 10 * time.Second, count: 3000, window: 256, batch: 32, ampdBin: bin,
		idle: 300 * time.Millisecond,
		mix:  mixOptions{templates: 200, recipients: 100, online: 0.5, seed: 1},
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.errors != 0 || r.messages != 3000 || !strings.Contains(r.note, "own process") {
		t.Errorf("%d verdicts, %d errors (%s); want 3000 and 0 from ampd as its own process", r.messages, r.errors, r.note)
	}
	// Its CPU, measured from /proc, under load and idle.
	if !strings.Contains(r.note, "ampd CPU") || !strings.Contains(r.note, "ampd idle 300ms: CPU") {
		t.Errorf("the note does not report ampd's CPU under load and idle: %s", r.note)
	}
}

func TestStartE2EServerRejectsUnknownKind(t *testing.T) {
	_, err := startE2EServer(context.Background(), "openfire", e2eServerOptions{dir: t.TempDir()}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "openfire") {
		t.Errorf("startE2EServer(openfire) = %v, want an error naming the kind", err)
	}
}

// The server CPU comes from /proc/PID/stat and the measured process is named from
// /proc/PID/comm; this process stands in for the server.
func TestProcessCPUAndNameOfSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	busy := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(busy) {
	}
	cpu, ok := processCPU(os.Getpid())
	if !ok || cpu <= 0 {
		t.Errorf("processCPU(self) = %v, %v; want a positive time", cpu, ok)
	}
	if name := processName(os.Getpid()); name == "?" || !strings.HasPrefix(filepath.Base(os.Args[0]), name) {
		t.Errorf("processName(self) = %q, want a prefix of %q", name, filepath.Base(os.Args[0]))
	}
	if _, ok := processCPU(0); ok {
		t.Error("processCPU(0) claims to know a CPU time")
	}
}

// A short e2e against each installed sandbox server loses nothing and gets no error in any of
// its runs, and measures the server's CPU.
func TestE2ERunsHaveNoErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real XMPP servers; skipped under -short")
	}
	for _, kind := range e2eServerKinds {
		t.Run(kind, func(t *testing.T) {
			if !installedE2EServer(kind) {
				t.Skipf("%s is not installed (make install-servers)", kind)
			}
			var log strings.Builder
			rows, err := runE2E(context.Background(), e2eOptions{
				server: kind, duration: 3 * time.Second, count: 400, senders: 2, offline: 1,
				offlineEvery: 5, window: 4, rate: 200, rounds: 1,
			}, io.Discard, &log)
			if err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			groups := map[string]int{}
			for _, r := range rows {
				groups[r.group]++
				if r.group == groupIdle {
					if r.elapsed != idleSpan || r.note == "ampd's CPU could not be read" {
						t.Errorf("%s: %v, %s", r.name, r.elapsed, r.note)
					}
					continue
				}
				if r.errors != 0 || r.messages == 0 {
					t.Errorf("%s: %d messages, %d errors (%s)", r.name, r.messages, r.errors, r.note)
				}
				if r.serverCPUPerMsg <= 0 {
					t.Errorf("%s: no server CPU measured (%s)", r.name, r.note)
				}
				if (r.group == groupAmpd) != (r.ampdCPUPerMsg > 0) {
					t.Errorf("%s: ampd CPU %.1f µs/msg; want it measured for ampd's rows only (%s)", r.name, r.ampdCPUPerMsg, r.note)
				}
				// Every fifth message goes to the offline recipient; its AMP request gets the
				// notify reply from ampd and from the floor alike.
				amp := r.group == groupAmpd || r.group == groupFloor
				if offline := r.messages / 5; amp && (r.replies < offline-1 || r.replies > offline+1) || !amp && r.replies != 0 {
					t.Errorf("%s: %d AMP replies for %d messages (%s)", r.name, r.replies, r.messages, r.note)
				}
			}
			want := map[string]int{groupNoModule: 2, groupPlain: 2, groupFloor: 2, groupAmpd: 2, groupIdle: 1}
			for g, n := range want {
				if groups[g] != n {
					t.Errorf("%d rows of %s, want %d (full speed and fixed rate; one idle)", groups[g], g, n)
				}
			}
		})
	}
}
