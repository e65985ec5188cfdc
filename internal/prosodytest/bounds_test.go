package prosodytest

import (
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

const nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

// expectBounce waits for the service-unavailable error from the host for id.
func expectBounce(t *testing.T, c *c2stest.Client, id string) {
	t.Helper()
	got := expectClient(t, c, message, c2stest.WithID(id))
	if got.Type != "error" || got.From != "localhost" || got.Find(nsStanzas, "service-unavailable") == nil {
		t.Errorf("%s got %s; want a service-unavailable error from localhost", c.JID, got)
	}
}

// Without ampd connected and without a grace, AMP requests bounce (default) ...
func TestComponentDownBounces(t *testing.T) {
	s := startSandbox(t, Options{DownGrace: NoGrace})
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "down1", "lost")); err != nil {
		t.Fatal(err)
	}
	expectBounce(t, alice, "down1")
	// ... and also after ampd has been connected and gone again.
	comp := connectStub(t, s)
	comp.close()
	if err := alice.SendRaw(ampMessage("bob@localhost", "down2", "lost")); err != nil {
		t.Fatal(err)
	}
	expectBounce(t, alice, "down2")
	expectNoClient(t, bob, message)
}

// ... or pass through unprocessed with ampd_when_down = "pass".
func TestComponentDownPass(t *testing.T) {
	s := startSandbox(t, Options{WhenDown: "pass", DownGrace: NoGrace})
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "pass1", "through")); err != nil {
		t.Fatal(err)
	}
	got := expectClient(t, bob, message, c2stest.WithID("pass1"))
	if from, to := ampAttrs(t, got.Child(nsAMP, "amp")); from != "" || to != "" {
		t.Errorf("passed message was stamped: %s", got)
	}
}

// Past ampd_max_pending new requests get the when_down treatment.
func TestMaxPending(t *testing.T) {
	s := startSandbox(t, Options{MaxPending: 1})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	if err := alice.SendRaw(ampMessage("bob@localhost", "full1", "kept")); err != nil {
		t.Fatal(err)
	}
	comp.expectDivert(t, "full1")
	if err := alice.SendRaw(ampMessage("bob@localhost", "full2", "no room")); err != nil {
		t.Fatal(err)
	}
	expectBounce(t, alice, "full2")
	comp.expectNone(t, "divert of full2", quiet, isDivert)
}

// Requests ampd does not answer within ampd_pending_timeout are bounced ...
func TestPendingTimeoutBounces(t *testing.T) {
	s := startSandbox(t, Options{PendingTimeout: 1e9})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	if err := alice.SendRaw(ampMessage("bob@localhost", "late1", "too late")); err != nil {
		t.Fatal(err)
	}
	comp.expectDivert(t, "late1")
	expectBounce(t, alice, "late1")
}

// ... or delivered unprocessed in pass mode.
func TestPendingTimeoutPass(t *testing.T) {
	s := startSandbox(t, Options{PendingTimeout: 1e9, WhenDown: "pass"})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")
	if err := alice.SendRaw(ampMessage("bob@localhost", "late2", "late but there")); err != nil {
		t.Fatal(err)
	}
	comp.expectDivert(t, "late2")
	got := expectClient(t, bob, message, c2stest.WithID("late2"))
	if got.From != alice.JID {
		t.Errorf("bob got %s", got)
	}
}
