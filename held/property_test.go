package held

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ampd-xmpp/ampd/resolver"
)

var (
	recipients = []string{"bob@example.org", "carol@example.org"}
	actions    = []string{"drop", "alert", "error", "notify"}
)

// TestPropertyExactlyOnce: for any interleaving of holds, availability, time passing,
// restarts and failed sends, every held message ends exactly once — one release or one
// alert/error reply, or a silent drop — each notify goes out at most once, and a stanza goes
// out twice only after a send that failed after the stanza had left (a crash between send
// and record), always with the same key.
func TestPropertyExactlyOnce(t *testing.T) {
	checkPropertyExactlyOnce(t, func(rt *rapid.T) *fixture {
		return &fixture{t: rt, path: filepath.Join(t.TempDir(), "held.db"), clk: newFakeClock(t0), act: &recorder{}, nosync: true}
	})
}

// checkPropertyExactlyOnce is the property of TestPropertyExactlyOnce on the stores newFixture makes
// (a fresh one per run).
func checkPropertyExactlyOnce(t *testing.T, newFixture func(rt *rapid.T) *fixture) {
	rapid.Check(t, func(rt *rapid.T) {
		f := newFixture(rt)
		f.open()
		defer f.close()
		failing := map[int]bool{} // call number → the stanza leaves although the call fails
		mayRepeat := map[string]bool{}
		f.act.fail = func(call int, key string) (bool, error) {
			left, ok := failing[call]
			if !ok {
				return false, nil
			}
			if left {
				mayRepeat[key] = true
			}
			return left, errSend
		}
		msgs := map[uint64][]rule{}
		for step := range rapid.IntRange(1, 40).Draw(rt, "steps") {
			switch rapid.IntRange(0, 4).Draw(rt, "op") {
			case 0:
				to := rapid.SampledFrom(recipients).Draw(rt, "to")
				var rules []rule
				d := noneMet
				if rapid.Bool().Draw(rt, "stored-notify") {
					rules = append(rules, rule{"notify", "deliver", "stored"})
					d = resolver.Decision{Verdict: resolver.Hold, Met: 0, Action: "notify"}
				}
				for range rapid.IntRange(1, 3).Draw(rt, "rules") {
					off := time.Duration(rapid.IntRange(-10, 120).Draw(rt, "offset")) * time.Second
					rules = append(rules, expireAt(rapid.SampledFrom(actions).Draw(rt, "action"), f.clk.Now().Add(off)))
				}
				msg := []byte(strings.Replace(string(message(fmt.Sprint("m", step), rules...)), "bob@example.org", to, 1))
				id, err := f.m.Hold("example.org", fmt.Sprint("r", step), msg, f.clk.Now(), d)
				if err != nil {
					rt.Fatal(err)
				}
				msgs[id] = rules
			case 1:
				f.m.Available(rapid.SampledFrom(recipients).Draw(rt, "online"))
			case 2:
				f.clk.Advance(time.Duration(rapid.IntRange(0, 60_000).Draw(rt, "ms")) * time.Millisecond)
			case 3:
				f.restart()
			case 4:
				failing[f.act.call+1] = rapid.Bool().Draw(rt, "left")
			}
		}
		clear(failing)
		f.clk.Advance(time.Hour)
		for _, r := range recipients {
			f.m.Available(r)
		}
		if f.m.Len() != 0 {
			rt.Fatalf("%d messages still held", f.m.Len())
		}

		count := map[string]int{}
		for _, s := range f.act.out {
			count[s.key]++
		}
		ends := map[uint64]int{}
		for key, n := range count {
			if n > 1 && !mayRepeat[key] {
				rt.Fatalf("%s sent %d times", key, n)
			}
			parts := strings.Split(key, "-") // held-ID-release | held-ID-rule-N
			id, _ := strconv.ParseUint(parts[1], 10, 64)
			rules, ok := msgs[id]
			if !ok {
				rt.Fatalf("%s: no such message", key)
			}
			if parts[2] == "release" {
				ends[id]++
				continue
			}
			i, _ := strconv.Atoi(parts[3])
			switch rules[i].action {
			case "drop":
				rt.Fatalf("%s: a drop sent something", key)
			case "alert", "error":
				ends[id]++
			}
		}
		for id, rules := range msgs {
			switch {
			case ends[id] > 1:
				rt.Fatalf("message %d ended %d times", id, ends[id])
			case ends[id] == 0 && !hasDrop(rules):
				rt.Fatalf("message %d lost: no release, no reply, no drop rule (sent %v)", id, count)
			}
		}
	})
}

func hasDrop(rules []rule) bool {
	for _, r := range rules {
		if r.action == "drop" && r.condition == "expire-at" {
			return true
		}
	}
	return false
}
