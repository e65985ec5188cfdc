package prosodytest

import (
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

func TestSmokeDivertDeliver(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "m1", "hi")); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "m1")
	t.Logf("divert: %+v %s", d, d.Message)
	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
	got := expectClient(t, bob, c2stest.Named("message"), c2stest.WithID("m1"))
	t.Logf("bob got %s", got)
}
