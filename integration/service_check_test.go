package integration

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A request with a deliver rule to the server's own domain (a service recipient) makes ampd
// check whether that domain is a gateway; the disco#info goes through the server module
// (docs/PROTOCOL.md §6) and is answered at once on every server. (Sent as the component,
// ejabberd 24.12's mod_privilege dropped it, and the request waited for amp.remote_timeout.)
func TestServiceCheckAnsweredPromptly(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.client(e.user("alice"), "phone", prio(0))
	checks := e.ampd.metrics.RemoteChecks
	start := time.Now()
	must(t, alice.SendRaw(ampMessage(e.srv.Host, "s1", "chat", rule("notify", "deliver", "direct"))))
	const bound = 3 * time.Second
	for time.Since(start) < bound {
		if testutil.ToFloat64(checks.WithLabelValues("supported")) == 1 {
			return
		}
		if failed := testutil.ToFloat64(checks.WithLabelValues("failed")); failed != 0 {
			t.Fatalf("the check of %s failed after %v", e.srv.Host, time.Since(start).Round(time.Millisecond))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no answer to the check of %s within %v (checks: supported %v, unsupported %v, failed %v)", e.srv.Host, bound,
		testutil.ToFloat64(checks.WithLabelValues("supported")), testutil.ToFloat64(checks.WithLabelValues("unsupported")),
		testutil.ToFloat64(checks.WithLabelValues("failed")))
}
