package prosodytest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// Register, Deregister and Restart work on a running sandbox.
func TestHarnessAccountsAndRestart(t *testing.T) {
	s := startSandbox(t, Options{})
	pid := s.PID()
	if pid == 0 {
		t.Fatal("PID() = 0 for a running server")
	}
	if err := s.Register("dave", password); err != nil {
		t.Fatal(err)
	}
	dial(t, s, "dave", "one")
	if err := s.Deregister("dave"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := ctxT()
	defer cancel()
	if c, err := c2stest.Dial(ctx, s.C2SAddr, "dave", s.Host, password, "two"); err == nil {
		c.Close()
		t.Fatal("dave can still log in after Deregister")
	}
	if err := s.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.PID() == 0 || s.PID() == pid {
		t.Errorf("PID after restart = %d (before %d)", s.PID(), pid)
	}
	dial(t, s, "alice", "after-restart")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.PID() != 0 {
		t.Errorf("PID() = %d after Stop", s.PID())
	}
	if s.LogTail(5) == "" {
		t.Error("empty LogTail")
	}
}

// Messages a component sends through XEP-0356 privileged sending are not a
// local client's messages: they are not diverted, even with <amp/>.
func TestPrivilegedSendNotDiverted(t *testing.T) {
	s := startSandbox(t, Options{PrivilegedMessage: true})
	comp := connectStub(t, s)
	bob := online(t, s, "bob", "laptop")
	comp.expect(t, "privilege announcement", func(raw []byte) bool {
		return contains(raw, "urn:xmpp:privilege:2") && contains(raw, "outgoing")
	})
	priv := fmt.Sprintf("<message from='%s' to='%s'><privilege xmlns='urn:xmpp:privilege:2'><forwarded xmlns='urn:xmpp:forward:0'>%s</forwarded></privilege></message>",
		s.ComponentDomain, s.Host,
		"<message xmlns='jabber:client' from='alice@localhost' to='bob@localhost' id='p1' type='chat'><body>on behalf</body><amp xmlns='"+nsAMP+"'><rule condition='deliver' value='direct' action='notify'/></amp></message>")
	comp.send(t, []byte(priv))
	got := expectClient(t, bob, message, c2stest.WithID("p1"))
	if got.From != "alice@localhost" {
		t.Errorf("bob got %s", got)
	}
	comp.expectNone(t, "divert of a privileged message", quiet, isDivert)
}

func contains(raw []byte, s string) bool {
	return strings.Contains(string(raw), s)
}
