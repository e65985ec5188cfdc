package prosodytest

import (
	"context"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// Within ampd_down_grace a request sent while ampd is away is kept, not bounced, and diverted
// once ampd is back and announces; past the grace, ampd_when_down applies to what is kept.
func TestDownGraceKeepsThenBounces(t *testing.T) {
	s := startSandbox(t, Options{DownGrace: 2 * time.Second})
	comp := connectStub(t, s)
	comp.announce(t, s, nsAMP)
	alice := online(t, s, "alice", "phone")
	comp.close()
	if err := alice.SendRaw(ampMessage("bob@localhost", "kept1", "while away")); err != nil {
		t.Fatal(err)
	}
	expectNoClient(t, alice, message, c2stest.WithID("kept1")) // not bounced within the grace
	comp = connectStub(t, s)
	comp.expectNone(t, "divert before ampd announces", 0, isDivert)
	comp.announce(t, s, nsAMP)
	if d := comp.expectDivert(t, "kept1"); d.Origin != route.OriginC2S {
		t.Errorf("kept request diverted with origin %q", d.Origin)
	}

	comp.close()
	if err := alice.SendRaw(ampMessage("bob@localhost", "late1", "too long away")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	expectBounce(t, alice, "late1")
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("bounced after %v, before the grace of 2 s was over", waited)
	}
}

// The re-inject keys survive a server restart: ampd, which did not see the acknowledgement
// before the restart, sends the re-inject again, and the recipient still gets it once.
func TestReinjectKeySurvivesRestart(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")
	reinject := route.AppendReinject(nil, s.ComponentDomain, s.Host, "k-restart", releasedMessage("ri-restart"))
	comp.send(t, reinject)
	expectClient(t, bob, message, c2stest.WithID("ri-restart"))
	comp.expectAck(t, s, "k-restart")

	if err := s.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	comp.waitUp(t) // the stub reconnects by itself
	bob = online(t, s, "bob", "laptop")
	comp.send(t, reinject)
	comp.expectAck(t, s, "k-restart")
	expectNoClient(t, bob, message, c2stest.WithID("ri-restart"))

	// A key the restarted server has not seen is routed as usual.
	comp.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, "k-new", releasedMessage("ri-new")))
	expectClient(t, bob, message, c2stest.WithID("ri-new"))
	comp.expectAck(t, s, "k-new")
}
