package ejabberdtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// Within down_grace a request sent while ampd is away is kept, not bounced, and diverted once
// ampd is back and announces; past the grace, when_down applies to what is kept.
func TestDownGraceKeepsThenBounces(t *testing.T) {
	s := startServer(t, Options{DownGrace: 2 * time.Second, Users: map[string]string{"alice": "pw", "bob": "pw"}})
	stub := connectComponent(t, s)
	stub.announce(t, s, announced)
	alice := client(t, s, "alice", "pw", "phone")
	stub.close()
	if err := alice.SendRaw(ampMessage("bob@"+s.Host, "kept1")); err != nil {
		t.Fatal(err)
	}
	if err := alice.ExpectNone(ctxFor(t), quiet, message("kept1")); err != nil {
		t.Fatalf("bounced within the grace: %v", err)
	}
	stub = connectComponent(t, s)
	stub.announce(t, s, announced)
	if d := expectDivert(t, stub, "kept1"); d.Origin != route.OriginC2S {
		t.Errorf("kept request diverted with origin %q", d.Origin)
	}

	stub.close()
	// ejabberd notices the closed connection asynchronously: a request sent before it has is
	// diverted into the void and waits for pending_timeout (or ampd's return). Wait until
	// the host stops advertising AMP, which it does once it knows.
	waitNotAdvertised(t, s, alice)
	if err := alice.SendRaw(ampMessage("bob@"+s.Host, "late1")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := alice.Expect(ctxFor(t), message("late1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "error" || got.Find(nsStanzas, "service-unavailable") == nil {
		t.Errorf("got %s, want a service-unavailable error", got.Raw)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("bounced after %v, before the grace of 2 s was over", waited)
	}
}

// The re-inject keys survive a server restart: ampd, which did not see the acknowledgement
// before the restart, sends the re-inject again, and the recipient still gets it once.
func TestReinjectKeySurvivesRestart(t *testing.T) {
	s := startServer(t, Options{Users: map[string]string{"bob": "pw"}})
	stub := connectComponent(t, s)
	bob := client(t, s, "bob", "pw", "desk")
	if err := bob.Presence(1); err != nil {
		t.Fatal(err)
	}
	from, to := "alice@"+s.Host+"/phone", "bob@"+s.Host
	reinject := route.AppendReinject(nil, s.ComponentDomain, s.Host, "k-restart", releasedMessage(from, to, "ri-restart"))
	stub.send(t, reinject)
	if _, err := bob.Expect(ctxFor(t), message("ri-restart")); err != nil {
		t.Fatal(err)
	}
	expectAck(t, stub, s, "k-restart")

	if err := s.Restart(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stub.connected: // the component reconnects by itself
	case <-time.After(testTimeout):
		t.Fatal("component did not reconnect after the restart")
	}
	bob = client(t, s, "bob", "pw", "desk")
	if err := bob.Presence(1); err != nil {
		t.Fatal(err)
	}
	stub.send(t, reinject)
	expectAck(t, stub, s, "k-restart")
	if err := bob.ExpectNone(ctxFor(t), quiet, message("ri-restart")); err != nil {
		t.Errorf("routed again after the restart: %v", err)
	}

	// A key the restarted server has not seen is routed as usual.
	stub.send(t, route.AppendReinject(nil, s.ComponentDomain, s.Host, "k-new", releasedMessage(from, to, "ri-new")))
	if _, err := bob.Expect(ctxFor(t), message("ri-new")); err != nil {
		t.Fatal(err)
	}
	expectAck(t, stub, s, "k-new")
}

// waitNotAdvertised waits until the host's disco#info no longer lists AMP: the module knows
// that ampd is away.
func waitNotAdvertised(t *testing.T, s *Server, c *c2stest.Client) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		res, err := c.IQ(ctxFor(t), `<iq type='get' to='`+s.Host+`'><query xmlns='`+nsDiscoInfo+`'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(res.Raw), nsAMP) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host still advertises AMP after %v without ampd", testTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// After ampd reconnects, the presences of the users already online reach it before any request
// the module diverts (again): ampd decides with the recipient in its presence table. ampchaos
// found requests to online users delivered without their deliver=direct rule being met, when a
// re-divert overtook the presences the module sends on reconnect. The race is narrow; this
// checks the order on every reconnect it makes.
func TestPresencesBeforeRedivert(t *testing.T) {
	s := startServer(t, Options{Users: map[string]string{"alice": "pw", "bob": "pw"}})
	stub := connectComponent(t, s)
	stub.announce(t, s, announced)
	alice := client(t, s, "alice", "pw", "phone")
	bob := client(t, s, "bob", "pw", "desk")
	if err := bob.Presence(1); err != nil {
		t.Fatal(err)
	}
	stub.expect(t, "presence of bob", stanzaFrom("presence", bob.JID, ""))
	for i := range 10 {
		stub.close()
		id := fmt.Sprintf("order%d", i)
		if err := alice.SendRaw(ampMessage("bob@"+s.Host, id)); err != nil {
			t.Fatal(err)
		}
		if err := alice.ExpectNone(ctxFor(t), 200*time.Millisecond, message(id)); err != nil {
			t.Fatalf("bounced within the grace: %v", err)
		}
		// Announced right after the handshake, as ampd does.
		stub = connectComponentSending(t, s, route.AppendAnnounce(nil, s.ComponentDomain, s.Host, announced))
		expectDivert(t, stub, id)
		before := false
		for _, raw := range stub.backlog { // everything received before the divert, in order
			if stanzaFrom("presence", bob.JID, "")(raw) {
				before = true
			}
		}
		if !before {
			t.Fatalf("reconnect %d: the divert of %s came before bob's presence; received before it:\n%s", i, id, joinRaw(stub.backlog))
		}
	}
}
