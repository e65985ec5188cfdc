package ejabberdtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/route"
)

// eval evaluates Erlang expressions on the sandbox's node with erl_call (the node's port and
// cookie are in its ejabberdctl.cfg) and returns what erl_call printed.
func eval(t *testing.T, s *Server, exprs string) string {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(s.Dir, "ejabberdctl.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	// The node listens on ERL_DIST_PORT without epmd: erl_call is told the address.
	port := regexp.MustCompile(`ERL_DIST_PORT=(\d+)`).FindSubmatch(cfg)
	cookie := regexp.MustCompile(`-setcookie (\S+)`).FindSubmatch(cfg)
	if port == nil || cookie == nil {
		t.Fatalf("no distribution port or cookie in ejabberdctl.cfg:\n%s", cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	// The erl_call of the node's own system (its OTP version), as ejabberdctl is run.
	cmd := serverkind.Command(ctx, s.opts.Root, nil, "erl_call", "-address", "127.0.0.1:"+string(port[1]), "-c", string(cookie[1]), "-e")
	cmd.Stdin = strings.NewReader(exprs + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.HasPrefix(out, []byte("{ok,")) {
		t.Fatalf("erl_call %q: %v: %s", exprs, err, out)
	}
	return string(out)
}

// eprofRun profiles every process of the node with eprof while alice sends n messages (made
// by msg) to bob in windows, until bob has them all, and returns eprof's analysis: function →
// microseconds, summed over the processes.
func eprofRun(t *testing.T, s *Server, label string, alice, bob *c2stest.Client, n int, msg func(id string) string) (map[string]float64, float64) {
	t.Helper()
	eval(t, s, "eprof:start(), profiling = eprof:start_profiling(erlang:processes(), {'_','_','_'}, [set_on_spawn]).")
	const window = 50
	ctx, cancel := context.WithTimeout(context.Background(), 5*testTimeout)
	defer cancel()
	for sent := 0; sent < n; sent += window {
		for i := sent; i < sent+window; i++ {
			if err := alice.SendRaw(msg(fmt.Sprintf("p%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		for got := 0; got < window; {
			st, err := bob.Expect(ctx, c2stest.Named("message"))
			if err != nil {
				t.Fatalf("bob after %d of %d: %v", sent+got, n, err)
			}
			if strings.HasPrefix(st.ID, "p") {
				got++
			}
		}
	}
	file := filepath.Join(s.Dir, "eprof-"+label+".txt")
	eval(t, s, fmt.Sprintf(`profiling_stopped = eprof:stop_profiling(), eprof:log(%q), eprof:analyze(total, [{sort, time}]), eprof:stop().`, file))
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// eprof's total analysis: "FUNCTION  CALLS  %  TIME  [uS / CALLS]" per line.
	line := regexp.MustCompile(`^(\S+:\S+/\d+)\s+(\d+)\s+([\d.]+)\s+(\d+)\s`)
	times := map[string]float64{}
	var total float64
	for _, l := range strings.Split(string(raw), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		us, _ := strconv.ParseFloat(m[4], 64)
		times[m[1]] += us
		total += us
	}
	if total == 0 {
		t.Fatalf("eprof analysis without any function:\n%s", raw)
	}
	return times, total
}

// TestEprofDivert profiles ejabberd (eprof, every process, time per function) while it routes
// plain messages and while it routes AMP requests through mod_ampd and a component that
// answers each at once with deliver, batched (the floor of docs/PERFORMANCE.md), and logs where
// the AMP messages' extra time goes, per message (docs/PERFORMANCE.md, "Inside the servers"):
//
//	go test -count=1 -v -run TestEprofDivert ./internal/ejabberdtest
//
// eprof traces every call, so the absolute times are several times the untraced ones; the
// shares are what it tells.
func TestEprofDivert(t *testing.T) {
	s := startServer(t, Options{Users: map[string]string{"alice": "pw", "bob": "pw"}})
	stub := connectComponent(t, s)
	stub.announce(t, s, announced)
	alice := client(t, s, "alice", "pw", "phone")
	bob := client(t, s, "bob", "pw", "desk")
	for _, c := range []*c2stest.Client{alice, bob} {
		if err := c.Presence(1); err != nil {
			t.Fatal(err)
		}
	}

	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			var batch []byte
			add := func(raw []byte) {
				if d, err := route.ParseDivert(raw); err == nil {
					if batch == nil {
						batch = route.AppendBatchOpen(nil, s.ComponentDomain, s.Host)
					}
					batch = route.AppendVerdictElement(batch, d.ID, route.Deliver, false, nil)
				}
			}
			select {
			case raw := <-stub.stanzas:
				add(raw)
			case <-done:
				return
			}
			for more := true; more; {
				select {
				case raw := <-stub.stanzas:
					add(raw)
				default:
					more = false
				}
			}
			if batch != nil {
				_ = stub.client.Send(route.AppendBatchClose(batch))
			}
		}
	}()

	const n = 500
	body := strings.Repeat("Are we still on for the review tomorrow at ten? ", 4)
	bobBare := "bob@" + s.Host
	plain, plainTotal := eprofRun(t, s, "plain", alice, bob, n, func(id string) string {
		return fmt.Sprintf("<message to='%s' id='%s' type='chat'><body>%s</body></message>", bobBare, id, body)
	})
	amp, ampTotal := eprofRun(t, s, "amp", alice, bob, n, func(id string) string {
		return fmt.Sprintf("<message to='%s' id='%s' type='chat'><body>%s</body>"+
			"<amp xmlns='%s'><rule action='notify' condition='deliver' value='stored'/></amp></message>", bobBare, id, body, nsAMP)
	})

	t.Logf("eprof µs per message (traced): plain %.1f, AMP %.1f", plainTotal/n, ampTotal/n)
	keys := map[string]bool{}
	for k := range plain {
		keys[k] = true
	}
	for k := range amp {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool { return amp[sorted[i]]-plain[sorted[i]] > amp[sorted[j]]-plain[sorted[j]] })
	t.Logf("function (µs per message: plain, AMP, AMP − plain), by the AMP message's extra:")
	for _, k := range sorted[:min(len(sorted), 50)] {
		t.Logf("  %-70s %7.2f %7.2f %+7.2f", k, plain[k]/n, amp[k]/n, (amp[k]-plain[k])/n)
	}
	byModule := func(times map[string]float64) map[string]float64 {
		m := map[string]float64{}
		for k, v := range times {
			m[k[:strings.IndexByte(k, ':')]] += v
		}
		return m
	}
	pm, am := byModule(plain), byModule(amp)
	var mods []string
	for k := range am {
		mods = append(mods, k)
	}
	sort.Slice(mods, func(i, j int) bool { return am[mods[i]]-pm[mods[i]] > am[mods[j]]-pm[mods[j]] })
	t.Logf("module (µs per message: plain, AMP, AMP − plain):")
	for _, k := range mods[:min(len(mods), 30)] {
		t.Logf("  %-40s %7.2f %7.2f %+7.2f", k, pm[k]/n, am[k]/n, (am[k]-pm[k])/n)
	}
	if ampTotal <= plainTotal {
		t.Errorf("AMP messages took %.0f µs, plain ones %.0f: the divert round trip should cost time", ampTotal, plainTotal)
	}
	// Plain messages pass mod_ampd's hooks too, which only look for an <amp/>.
	if am["mod_ampd"] == 0 || 2*pm["mod_ampd"] > am["mod_ampd"] {
		t.Errorf("mod_ampd: plain %.0f µs, AMP %.0f µs; want it to cost the AMP messages more than twice as much", pm["mod_ampd"], am["mod_ampd"])
	}
}
