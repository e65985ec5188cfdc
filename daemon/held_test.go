package daemon

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// An expiring message to an offline recipient is held by ampd (verdict hold, after the stored
// notification), released with a delay stamp when the recipient comes online, and completed
// only when the module acknowledges the re-inject.
func TestHoldAndRelease(t *testing.T) {
	h := start(t, nil)
	rules := `<rule action='notify' condition='deliver' value='stored'/><rule action='drop' condition='expire-at' value='2999-01-01T00:00:00Z'/>`
	h.send(divert("h1", "local", "store", msg("bob@localhost", rules)))
	h.expect(verdict("h1", "hold", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'>`+
		`<amp xmlns='http://jabber.org/protocol/amp' status='notify' from='alice@localhost/phone' to='bob@localhost'><rule action='notify' condition='deliver' value='stored'/></amp></message>`))
	if n := h.d.held.Len(); n != 1 {
		t.Fatalf("held = %d, want 1", n)
	}
	// A re-divert of the same route repeats the verdict and holds nothing more.
	h.send(divert("h1", "local", "store", msg("bob@localhost", rules)))
	h.recv()
	if n := h.d.held.Len(); n != 1 {
		t.Fatalf("held after re-divert = %d, want 1", n)
	}

	h.send(`<presence from='bob@localhost/pc' to='amp.localhost'><priority>1</priority></presence>`)
	got := string(h.recv())
	for _, want := range []string{"<reinject xmlns='urn:x-ampd:route:0' id='", "secret body", "urn:xmpp:delay", "from='alice@localhost/phone' to='bob@localhost'"} {
		if !strings.Contains(got, want) {
			t.Fatalf("release lacks %q:\n%s", want, got)
		}
	}
	id := between(got, "<reinject xmlns='urn:x-ampd:route:0' id='", "'")
	h.send(`<message from='localhost' to='amp.localhost'><reinjected xmlns='urn:x-ampd:route:0' id='` + id + `'/></message>`)
	h.send(`<iq type='get' from='a@localhost/b' to='amp.localhost' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>`)
	h.recv()
	if n := h.d.held.Len(); n != 0 {
		t.Fatalf("held after acknowledgement = %d, want 0", n)
	}
	if n := testutil.ToFloat64(h.metrics.Reinjects.WithLabelValues("release")); n != 1 {
		t.Errorf("release re-injects = %v, want 1", n)
	}
	if got := histogramCount(t, h); got != 1 {
		t.Errorf("ack lag observations = %d, want 1", got)
	}
}

func histogramCount(t *testing.T, h *harness) uint64 {
	t.Helper()
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "ampd_reinject_ack_seconds" {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatal("no ampd_reinject_ack_seconds")
	return 0
}

// The module gave up on a request before its hold verdict (route §8) and says so with
// <abandoned/>: ampd forgets the held message, and the recipient's coming online releases
// nothing (the sender already got the module's answer).
func TestAbandonedHoldIsNeverReleased(t *testing.T) {
	h := start(t, nil)
	rules := `<rule action='drop' condition='expire-at' value='2999-01-01T00:00:00Z'/>`
	h.send(divert("h1", "local", "store", msg("bob@localhost", rules)))
	h.expect(verdict("h1", "hold", ""))
	if n := h.d.held.Len(); n != 1 {
		t.Fatalf("held = %d, want 1", n)
	}
	h.send(`<message from='localhost' to='amp.localhost'><abandoned xmlns='urn:x-ampd:route:0' route='h1'/></message>`)
	h.send(`<presence from='bob@localhost/pc' to='amp.localhost'><priority>1</priority></presence>`)
	h.send(`<iq type='get' from='a@localhost/b' to='amp.localhost' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if got := string(h.recv()); !strings.Contains(got, "id='sync'") {
		t.Fatalf("after <abandoned/> and the recipient's presence ampd sent %s; want only the ping's answer", got)
	}
	if n := h.d.held.Len(); n != 0 {
		t.Fatalf("held after <abandoned/> = %d, want 0", n)
	}
}

// A module must send the whole message when a hold is possible (route §1). A slim divert that
// ampd would hold is delivered instead (to the server's offline storage, without expiry),
// never held without its body, and the fault is logged.
func TestSlimDivertIsNeverHeld(t *testing.T) {
	h := start(t, nil)
	rules := `<rule action='notify' condition='deliver' value='stored'/><rule action='drop' condition='expire-at' value='2999-01-01T00:00:00Z'/>`
	h.send(slim(divert("s1", "local", "store", msg("bob@localhost", rules))))
	h.expect(verdict("s1", "deliver", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'>`+
		`<amp xmlns='http://jabber.org/protocol/amp' status='notify' from='alice@localhost/phone' to='bob@localhost'><rule action='notify' condition='deliver' value='stored'/></amp></message>`))
	if n := h.d.held.Len(); n != 0 {
		t.Fatalf("held = %d, want 0: a slim divert has no body to release", n)
	}
}
