package route

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// The memory of answered routes answers exactly the most recent capacity routes, each with its own
// verdict, whatever the hosts and ids.
func TestAnsweredRemembersTheLatest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		capacity := rapid.IntRange(1, 8).Draw(t, "capacity")
		r := NewAnswered(capacity)
		type key struct{ host, id string }
		var order []key
		seen := map[key]string{} // → the reply remembered with it
		for i := range rapid.IntRange(0, 40).Draw(t, "puts") {
			k := key{rapid.SampledFrom([]string{"a", "b", "a\x00b"}).Draw(t, "host"), rapid.StringMatching(`[a-z0-9\x00]{1,4}`).Draw(t, "id")}
			if seen[k] != "" {
				continue // put is only called for routes not remembered
			}
			if _, ok := r.Get(k.host, k.id); ok {
				// Forgotten from the model but still answered: only the latest capacity count.
				recent := order[max(0, len(order)-capacity):]
				found := false
				for _, o := range recent {
					found = found || o == k
				}
				if !found {
					t.Fatalf("route %q answered although it was never remembered or already forgotten", k)
				}
			}
			r.Put(k.host, k.id, Answer{Verdict: Deliver, Reply: []byte(fmt.Sprint(i))})
			order = append(order, k)
			seen[k] = fmt.Sprint(i)
			for j, o := range order {
				v, ok := r.Get(o.host, o.id)
				wantOK := j >= len(order)-capacity
				if ok != wantOK {
					t.Fatalf("after %d puts, route %q (put #%d) remembered=%v, want %v", len(order), o, j, ok, wantOK)
				}
				if ok && string(v.Reply) != seen[o] {
					t.Fatalf("route %q answered with the verdict of another route", o)
				}
			}
		}
	})
}
