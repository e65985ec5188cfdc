package prosodytest

import (
	"slices"
	"testing"

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

// A request the module answered itself (no verdict within ampd_pending_timeout) is not
// carried out when ampd's verdict comes after all: the module answers it with <abandoned/>
// (route §8), posts neither the verdict's reply nor the message, nor a re-inject for that
// route, so the sender's one outcome stays the module's answer.
func TestLateVerdictAbandoned(t *testing.T) {
	for _, whenDown := range []string{"bounce", "pass"} {
		t.Run(whenDown, func(t *testing.T) {
			s := startSandbox(t, Options{PendingTimeout: 1e9, WhenDown: whenDown})
			comp := connectStub(t, s)
			alice := online(t, s, "alice", "phone")
			bob := online(t, s, "bob", "laptop")
			if err := alice.SendRaw(ampMessage("bob@localhost", "late1", "too late")); err != nil {
				t.Fatal(err)
			}
			d := comp.expectDivert(t, "late1")
			if whenDown == "bounce" {
				expectBounce(t, alice, "late1")
			} else {
				expectClient(t, bob, message, c2stest.WithID("late1"))
			}
			comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Hold, notifyReply(s, alice.JID, "late1", "localhost")))
			comp.expect(t, "<abandoned/> for route "+d.ID, isAbandonedOf(s.Host, d.ID))
			comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
			comp.expect(t, "<abandoned/> for the repeated verdict of "+d.ID, isAbandonedOf(s.Host, d.ID))
			// ampd released the message before it read <abandoned/>: the re-inject names the
			// route, so the module routes nothing, acknowledges it and says <abandoned/> again.
			comp.send(t, route.AppendRouteReinject(nil, s.ComponentDomain, s.Host, "held-1-release", d.ID, releasedMessage("late1")))
			comp.expectAck(t, s, "held-1-release")
			comp.expect(t, "<abandoned/> for the re-inject of "+d.ID, isAbandonedOf(s.Host, d.ID))
			expectNoClient(t, bob, message)
			expectNoClient(t, alice, message)
		})
	}
}

// A verdict for a route the module already decided by ampd's verdict (a re-divert answered
// twice) gets nothing: the module did not give up on it.
func TestDecidedRouteNotAbandoned(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "dec1", "decided")); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "dec1")
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
	expectClient(t, bob, message, c2stest.WithID("dec1"))
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Hold, nil))
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, "no-such-route", route.Hold, nil))
	// A re-inject naming a route the module did not give up on is routed as usual.
	comp.send(t, route.AppendRouteReinject(nil, s.ComponentDomain, s.Host, "held-7-release", d.ID, releasedMessage("dec2")))
	comp.expectAck(t, s, "held-7-release")
	expectClient(t, bob, message, c2stest.WithID("dec2"))
	comp.expectNone(t, "<abandoned/> for a decided or unknown route", quiet, isAbandoned)
	expectNoClient(t, bob, message)
}
