package prosodytest

import (
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// deliver with strip='amp': the recipient gets the retained message without its <amp/>
// (the next hop does not support AMP, policy strip); the reply is posted first.
func TestVerdictDeliverStripped(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")

	if err := alice.SendRaw(ampMessage("bob@localhost", "x1", "plain now")); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "x1")
	comp.send(t, route.AppendDeliverStripped(nil, s.ComponentDomain, s.Host, d.ID, notifyReply(s, alice.JID, "x1", "localhost")))
	reply := expectClient(t, alice, message, c2stest.WithID("x1"))
	if !reply.Has(nsAMP, "amp") {
		t.Errorf("alice got %s; want the notify reply", reply)
	}
	got := expectClient(t, bob, message, c2stest.WithID("x1"))
	if got.Has(nsAMP, "amp") || got.ChildText(c2stest.NSClient, "body") != "plain now" || got.From != alice.JID {
		t.Errorf("bob got %s; want the message from %s without <amp/>", got, alice.JID)
	}
	comp.expectNone(t, "second divert", quiet, isDivert)
}
