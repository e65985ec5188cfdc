package prosodytest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// reinjector sends keyed re-injects as ampd does and waits for each
// acknowledgement. Every send carries an inner message with its own id,
// KEY.N (N counts the sends), so that the recipient's deliveries show
// exactly which sends the module routed.
type reinjector struct {
	t     *testing.T
	s     *Server
	comp  *stub
	sends int
}

// send re-injects under key, waits for the acknowledgement (routed or not,
// every accepted reinject is acknowledged) and returns the inner message's id.
func (r *reinjector) send(key string) string {
	r.t.Helper()
	r.sends++
	id := fmt.Sprintf("%s.%d", key, r.sends)
	r.comp.send(r.t, route.AppendReinject(nil, r.s.ComponentDomain, r.s.Host, key, releasedMessage(id)))
	r.comp.expectAck(r.t, r.s, key)
	return id
}

// expectDeliveries sends a fence, a re-inject under a key never used, and
// checks that the messages c received up to the fence are exactly want then
// the fence. The module routes a re-inject (hands it to c's session) before
// acknowledging it, and send waits for every acknowledgement, so anything
// routed before the fence reaches c before it; a short quiet wait after the
// fence catches a stray late one.
func (r *reinjector) expectDeliveries(c *c2stest.Client, want []string) {
	r.t.Helper()
	fence := r.send(fmt.Sprintf("fence%d", r.sends))
	want = append(slices.Clone(want), fence)
	var got []string
	for len(got) == 0 || got[len(got)-1] != fence {
		got = append(got, expectClient(r.t, c, message).ID)
	}
	if !slices.Equal(got, want) {
		r.t.Errorf("%s received %q; want %q", c.JID, got, want)
	}
	expectNoClient(r.t, c, message)
}

// ampd_reinjected_max bounds how many keys the module remembers; past it the
// oldest routed key is dropped, and a resend under a dropped key is routed
// again. That is the bound's consequence, why the protocol asks for at least
// 10000: ampd must not resend a re-inject older than that many others.
// A resend of a remembered key neither refreshes nor moves it: the order is
// the order of routing.
func TestReinjectCountBound(t *testing.T) {
	s := startSandbox(t, Options{ReinjectedMax: 3})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")
	r := &reinjector{t: t, s: s, comp: comp}

	var want []string
	for _, key := range []string{"k1", "k2", "k3", "k4", "k5"} {
		want = append(want, r.send(key)) // each routed once; k1 and k2 dropped on the way
	}
	r.send("k5")                      // remembered: acknowledged only
	r.send("k3")                      // the oldest remembered: acknowledged only
	want = append(want, r.send("k1")) // dropped: routed again, and drops k3 (not refreshed by its resend)
	want = append(want, r.send("k3")) // dropped: routed again, drops k4
	r.send("k5")                      // still remembered: k5, k1, k3
	r.expectDeliveries(bob, want)
}

// ampd_reinjected_max_age bounds how long the module remembers a key: a
// resend before the age has passed is acknowledged only, a resend after it
// is routed again. The module counts whole seconds (os.time): a key routed
// at T is forgotten from T+age on, and surely remembered until T+age-1s.
func TestReinjectAgeBound(t *testing.T) {
	const maxAge = 3 * time.Second
	s := startSandbox(t, Options{ReinjectedMaxAge: maxAge})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")
	r := &reinjector{t: t, s: s, comp: comp}

	start := time.Now()
	want := []string{r.send("a")}
	routed := time.Now() // the module routed it before acknowledging
	r.send("a")
	if elapsed := time.Since(start); elapsed >= maxAge-time.Second {
		t.Skipf("two re-injects took %v; the check before the age needs them within %v", elapsed, maxAge-time.Second)
	}
	time.Sleep(time.Until(routed.Add(maxAge + 250*time.Millisecond)))
	want = append(want, r.send("a"))
	r.expectDeliveries(bob, want)
}

// The re-inject bounds must be positive integers: the module refuses to load
// otherwise, and says why in the log.
func TestReinjectBoundsRefuseNonPositive(t *testing.T) {
	for _, option := range []string{"ampd_reinjected_max = 0", "ampd_reinjected_max_age = -5", "ampd_reinjected_max = 2.5"} {
		t.Run(option, func(t *testing.T) {
			s := startSandbox(t, Options{ExtraHostConfig: "\t" + option})
			name := strings.Fields(option)[0]
			want := "mod_ampd: option " + name + " must be a positive integer"
			deadline := time.Now().Add(testTimeout)
			for !strings.Contains(s.LogTail(200), want) {
				if time.Now().After(deadline) {
					t.Fatalf("log lacks %q:\n%s", want, s.LogTail(40))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
