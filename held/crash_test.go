package held

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/store"
)

// crashScenario drives a manager through notify, drop, alert and releases.
func crashScenario(f *fixture) {
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	f.hold(message("m1", expireAt("notify", t1), expireAt("alert", t2)))
	f.hold(message("m2", expireAt("drop", t1)))
	f.hold(message("m3", expireAt("alert", t0.Add(time.Hour))))
	f.hold(message("m4", expireAt("error", t1)))
	f.clk.Advance(90 * time.Second)
	f.m.Available("bob@example.org")
}

// finish lets every held message end: time passes and the recipient comes online.
func finish(f *fixture) {
	f.clk.Advance(2 * time.Hour)
	f.m.Available("bob@example.org")
}

// TestCrashAtEveryPoint stops ampd at every point of every transition — before a send,
// and after a send that left but was not recorded — restarts it from the store as it was on
// disk at that moment, and checks the documented guarantee: nothing is lost, and the only
// stanzas that may go out twice are those of steps pending on disk at the crash (sent or
// about to be sent, not yet recorded as done), with the same key.
func TestCrashAtEveryPoint(t *testing.T) {
	// A clean run, taking an image of the store file at every send.
	clean := newFixture(t)
	type image struct {
		call int
		at   time.Time
		file []byte
	}
	var images []image
	clean.act.fail = func(call int, _ string) (bool, error) {
		b, err := os.ReadFile(clean.path)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, image{call, clean.clk.Now(), b})
		return false, nil
	}
	crashScenario(clean)
	finish(clean)
	cleanOut := clean.act.out
	if len(images) < 4 {
		t.Fatalf("test: only %d sends in the scenario", len(images))
	}

	for _, img := range images {
		for _, left := range []bool{false, true} {
			t.Run(fmt.Sprintf("call %d, stanza left %v", img.call, left), func(t *testing.T) {
				before := append([]sent(nil), cleanOut[:img.call-1]...)
				if left {
					before = append(before, cleanOut[img.call-1])
				}
				f := &fixture{t: t, path: filepath.Join(t.TempDir(), "held.db"), clk: newFakeClock(img.at), act: &recorder{}}
				if err := os.WriteFile(f.path, img.file, 0o600); err != nil {
					t.Fatal(err)
				}
				inflight := pendingKeys(t, f.path)
				if !inflight[cleanOut[img.call-1].key] {
					t.Fatalf("the stanza being sent (%s) was not pending on disk", cleanOut[img.call-1].key)
				}
				f.open()
				t.Cleanup(f.close)
				finish(f)
				checkExactlyOnce(t, append(before, f.act.out...), inflight, f.m.Len())
			})
		}
	}
}

// checkExactlyOnce checks the guarantee on everything sent: each message ends exactly once
// (one release or one alert/error reply, or a silent drop), each notify goes out once, and
// only keys in inflight may be repeated.
func checkExactlyOnce(t *testing.T, out []sent, inflight map[string]bool, left int) {
	t.Helper()
	seen := map[string]int{}
	for _, s := range out {
		seen[s.key]++
	}
	ends := map[string]int{}
	for key, n := range seen {
		if n > 1 && !inflight[key] {
			t.Errorf("%s sent %d times", key, n)
		}
		if n > 2 {
			t.Errorf("%s sent %d times, even the one in flight may go twice at most", key, n)
		}
		id := strings.SplitN(key, "-", 3)[1]
		if !strings.HasSuffix(key, "-rule-0") || id == "3" || id == "4" {
			ends[id]++
		}
	}
	// m2 is dropped silently; m1's rule 0 is a notify, every other key ends a message.
	for _, id := range []string{"1", "3", "4"} {
		if ends[id] != 1 {
			t.Errorf("message %s ended %d times (sent %v)", id, ends[id], seen)
		}
	}
	if left != 0 {
		t.Errorf("%d messages still held at the end", left)
	}
}

// pendingKeys returns the keys of the steps pending in the store file at path.
func pendingKeys(t *testing.T, path string) map[string]bool {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys := map[string]bool{}
	st.ForEach(func(r store.Record) error {
		if r.State != store.Held {
			keys[Key(&r)] = true
		}
		return nil
	})
	return keys
}
