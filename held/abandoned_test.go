package held

import (
	"testing"
	"time"
)

// A module that gave up on a request (route §8) answers the late hold verdict with
// <abandoned/>: the message is forgotten durably, and neither its recipient's coming online
// nor its deadline nor a restart ever sends anything for it.
func TestAbandonedIsForgottenAndNeverSent(t *testing.T) {
	for _, action := range []string{"drop", "alert", "notify"} {
		t.Run(action, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.m.Hold("example.org", "r1", message("m1", expireAt(action, t0.Add(time.Hour))), t0, noneMet); err != nil {
				t.Fatal(err)
			}
			f.hold(message("m2", expireAt("alert", t0.Add(time.Hour))))
			if n := f.m.Abandoned("example.org", "r1", "unknown-route"); n != 1 {
				t.Fatalf("Abandoned forgot %d messages, want 1", n)
			}
			if n := f.m.Abandoned("example.org", "r1"); n != 0 { // a second notice: nothing left
				t.Fatalf("second notice forgot %d messages, want 0", n)
			}
			if n := f.m.Abandoned("other.example", "r1"); n != 0 { // route ids are per host
				t.Fatalf("notice from another host forgot %d messages, want 0", n)
			}
			f.restart()
			if f.m.Len() != 1 {
				t.Fatalf("Len after restart = %d, want 1 (only m2)", f.m.Len())
			}
			f.m.Available("bob@example.org")
			f.clk.Advance(2 * time.Hour)
			if got := f.act.keys(); len(got) != 1 || got[0] != "held-2-release" {
				t.Errorf("keys = %v, want only m2's release", got)
			}
			if n, _ := f.st.Len(); n != 0 {
				t.Errorf("store holds %d records at the end, want 0", n)
			}
		})
	}
}
