package ejabberdtest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// isAbandonedOf matches the module's notice that it gave up on routeID, sent by host.
func isAbandonedOf(host, routeID string) func([]byte) bool {
	return func(raw []byte) bool {
		from, routes, ok := route.ParseAbandoned(raw)
		return ok && from == host && slices.Contains(routes, routeID)
	}
}

func isAbandoned(raw []byte) bool {
	_, _, ok := route.ParseAbandoned(raw)
	return ok
}

// A request the module answered itself (no verdict within pending_timeout) is not carried
// out when ampd's verdict comes after all: the module answers it with <abandoned/> (route
// §8) and posts neither the verdict's reply nor the message, nor a re-inject for that route,
// so the sender's one outcome stays the module's answer.
func TestLateVerdictAbandoned(t *testing.T) {
	for _, whenDown := range []string{"bounce", "pass"} {
		t.Run(whenDown, func(t *testing.T) {
			s := startServer(t, Options{PendingTimeout: time.Second, WhenDown: whenDown, Users: map[string]string{"alice": "pw", "bob": "pw"}})
			stub := connectComponent(t, s)
			alice := client(t, s, "alice", "pw", "phone")
			bob := client(t, s, "bob", "pw", "desk")
			for _, c := range []*c2stest.Client{alice, bob} {
				if err := c.Presence(1); err != nil {
					t.Fatal(err)
				}
			}
			if err := alice.SendRaw(ampMessage("bob@"+s.Host, "late1")); err != nil {
				t.Fatal(err)
			}
			d := expectDivert(t, stub, "late1")
			answered := alice // bounce: the error comes back to alice
			if whenDown == "pass" {
				answered = bob
			}
			got, err := answered.Expect(ctxFor(t), message("late1"))
			if err != nil {
				t.Fatal(err)
			}
			if bounced := got.Type == "error"; bounced != (whenDown == "bounce") {
				t.Fatalf("%s: the module's own answer is %s", whenDown, got.Raw)
			}
			reply := fmt.Sprintf("<message xmlns='jabber:client' from='%s' to='%s' id='late1'><amp xmlns='%s' status='notify' to='bob@%s' from='%s'>"+
				"<rule condition='deliver' value='stored' action='notify'/></amp></message>", s.Host, alice.JID, nsAMP, s.Host, alice.JID)
			stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Hold, []byte(reply)))
			stub.expect(t, "<abandoned/> for route "+d.ID, isAbandonedOf(s.Host, d.ID))
			stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
			stub.expect(t, "<abandoned/> for the repeated verdict of "+d.ID, isAbandonedOf(s.Host, d.ID))
			// ampd released the message before it read <abandoned/>: the re-inject names the
			// route, so the module routes nothing, acknowledges it and says <abandoned/> again.
			stub.send(t, route.AppendRouteReinject(nil, s.ComponentDomain, s.Host, "held-1-release", d.ID, releasedMessage(alice.JID, "bob@"+s.Host, "late1")))
			expectAck(t, stub, s, "held-1-release")
			stub.expect(t, "<abandoned/> for the re-inject of "+d.ID, isAbandonedOf(s.Host, d.ID))
			for _, c := range []*c2stest.Client{alice, bob} {
				if err := c.ExpectNone(ctxFor(t), quiet, message("late1")); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// A verdict for a route the module already decided by ampd's verdict (a re-divert answered
// twice), or for a route it never had, gets nothing: the module did not give up on it.
func TestDecidedRouteNotAbandoned(t *testing.T) {
	s := startServer(t, Options{Users: map[string]string{"alice": "pw", "bob": "pw"}})
	stub := connectComponent(t, s)
	alice := client(t, s, "alice", "pw", "phone")
	bob := client(t, s, "bob", "pw", "desk")
	if err := bob.Presence(1); err != nil {
		t.Fatal(err)
	}
	if err := alice.SendRaw(ampMessage("bob@"+s.Host, "dec1")); err != nil {
		t.Fatal(err)
	}
	d := expectDivert(t, stub, "dec1")
	stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
	if _, err := bob.Expect(ctxFor(t), message("dec1")); err != nil {
		t.Fatal(err)
	}
	stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Hold, nil))
	stub.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, "no-such-route", route.Hold, nil))
	// A re-inject naming a route the module did not give up on is routed as usual.
	stub.send(t, route.AppendRouteReinject(nil, s.ComponentDomain, s.Host, "held-7-release", d.ID, releasedMessage("alice@"+s.Host+"/phone", "bob@"+s.Host, "dec2")))
	expectAck(t, stub, s, "held-7-release")
	if _, err := bob.Expect(ctxFor(t), message("dec2")); err != nil {
		t.Fatal(err)
	}
	stub.expectNone(t, "<abandoned/> for a decided or unknown route", isAbandoned)
	if err := bob.ExpectNone(ctxFor(t), quiet, message("dec1")); err != nil {
		t.Error(err)
	}
}
