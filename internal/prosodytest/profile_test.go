package prosodytest

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// profile is what testdata/mod_ampd_profile.lua counted: Lua VM samples by kind ("leaf",
// "file") and key.
type profile struct {
	total  int
	counts map[string]map[string]int
}

func parseProfile(t *testing.T, body string) profile {
	t.Helper()
	p := profile{counts: map[string]map[string]int{"leaf": {}, "func": {}, "file": {}}}
	for _, line := range strings.Split(body, "\n") {
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 2 && f[0] == "samples":
			p.total, _ = strconv.Atoi(f[1])
		case len(f) == 3 && p.counts[f[1]] != nil:
			n, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatalf("profile line %q", line)
			}
			p.counts[f[1]][f[2]] = n
		default:
			t.Fatalf("profile line %q", line)
		}
	}
	return p
}

// profileRun resets the profiler, has alice send n messages (made by msg) to bob in windows,
// waits until bob has them all, and returns the profile of that stretch.
func profileRun(t *testing.T, s *Server, alice, bob *c2stest.Client, n int, msg func(id string) string) profile {
	t.Helper()
	control := func(op string) string {
		id := "profile-" + op
		if err := alice.SendRaw(fmt.Sprintf("<message to='%s' id='%s'><profile xmlns='urn:x-ampd:profile' op='%s'/></message>", s.Host, id, op)); err != nil {
			t.Fatal(err)
		}
		return expectClient(t, alice, message, c2stest.WithID(id)).ChildText(c2stest.NSClient, "body")
	}
	control("reset")
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
			st, err := bob.Expect(ctx, message)
			if err != nil {
				t.Fatalf("bob after %d of %d: %v", sent+got, n, err)
			}
			if strings.HasPrefix(st.ID, "p") {
				got++
			}
		}
	}
	return parseProfile(t, control("dump"))
}

// TestProfileDivert samples Prosody's Lua while it routes plain messages and while it routes
// AMP requests through mod_ampd and a component that answers each at once with deliver (the
// floor of docs/PERFORMANCE.md), and logs where the AMP messages' extra Lua work goes, per
// message (docs/PERFORMANCE.md, "Inside the servers"):
//
//	go test -count=1 -v -run TestProfileDivert ./internal/prosodytest
func TestProfileDivert(t *testing.T) {
	const n, sampleEvery = 500, 100
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	s := startSandbox(t, Options{
		LogLevel:          "error",
		ExtraPluginPaths:  []string{testdata},
		ExtraGlobalConfig: fmt.Sprintf("modules_enabled = { \"roster\", \"saslauth\", \"disco\", \"ping\", \"admin_shell\", \"ampd_profile\" }\nampd_profile_every = %d", sampleEvery),
	})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")

	// The floor: every divert answered at once with deliver, the verdicts of the diverts
	// waiting together in one message, as ampd batches them.
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
			case raw := <-comp.in:
				add(raw)
			case <-done:
				return
			}
			for more := true; more; {
				select {
				case raw := <-comp.in:
					add(raw)
				default:
					more = false
				}
			}
			if batch != nil {
				_ = comp.client.Send(route.AppendBatchClose(batch))
			}
		}
	}()

	body := strings.Repeat("Are we still on for the review tomorrow at ten? ", 4)
	plain := profileRun(t, s, alice, bob, n, func(id string) string {
		return fmt.Sprintf("<message to='bob@localhost' id='%s' type='chat'><body>%s</body></message>", id, body)
	})
	ampd := profileRun(t, s, alice, bob, n, func(id string) string {
		return fmt.Sprintf("<message to='bob@localhost' id='%s' type='chat'><body>%s</body>"+
			"<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>", id, body)
	})

	per := func(p profile, kind, key string) float64 { return float64(p.counts[kind][key]) / n }
	t.Logf("Lua samples per message (one per %d VM instructions): plain %.2f, AMP %.2f",
		sampleEvery, float64(plain.total)/n, float64(ampd.total)/n)
	for _, kind := range []string{"file", "func", "leaf"} {
		keys := map[string]bool{}
		for k := range plain.counts[kind] {
			keys[k] = true
		}
		for k := range ampd.counts[kind] {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Slice(sorted, func(i, j int) bool {
			di := per(ampd, kind, sorted[i]) - per(plain, kind, sorted[i])
			dj := per(ampd, kind, sorted[j]) - per(plain, kind, sorted[j])
			return di > dj
		})
		t.Logf("%s (samples per message: plain, AMP, AMP − plain), by the AMP message's extra:", kind)
		for _, k := range sorted[:min(len(sorted), 40)] {
			t.Logf("  %-60s %6.2f %6.2f %+6.2f", k, per(plain, kind, k), per(ampd, kind, k), per(ampd, kind, k)-per(plain, kind, k))
		}
	}
	if ampd.total <= plain.total {
		t.Errorf("AMP messages took %d samples, plain ones %d: the divert round trip should cost Lua work", ampd.total, plain.total)
	}
	if ampd.counts["file"]["mod_ampd.lua"] == 0 || plain.counts["file"]["mod_ampd.lua"] > ampd.counts["file"]["mod_ampd.lua"]/10 {
		t.Errorf("mod_ampd.lua samples: plain %d, AMP %d; want it to show up in the AMP run only", plain.counts["file"]["mod_ampd.lua"], ampd.counts["file"]["mod_ampd.lua"])
	}
}
