package ejabberdtest

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// startCluster starts a two-node cluster for the test (StartCluster) and stops it when the
// test ends.
func startCluster(t *testing.T, o Options) *Cluster {
	t.Helper()
	o.Root = ensureServer(t)
	o.Dir = t.TempDir()
	c, err := StartCluster(ctxFor(t), o, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ejabberd cluster log tails:\n%s", c.LogTail(60))
		}
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

var clusterUsers = map[string]string{"alice": "pw", "bob": "pw"}

// notifyReply is the reply ampd posts with a verdict: a notify to the sender.
func notifyReply(host, sender, recipient, id string) []byte {
	return []byte(fmt.Sprintf("<message xmlns='jabber:client' from='%s' to='%s' id='%s'><amp xmlns='%s' status='notify' to='%s' from='%s'>"+
		"<rule condition='deliver' value='stored' action='notify'/></amp></message>", host, sender, id, nsAMP, recipient, sender))
}

// online connects user to node s with presence, and waits until ampd's stand-in has the
// presence (which the node of the session forwards).
func online(t *testing.T, s *Server, stub *stubComponent, user, resource string) *c2stest.Client {
	t.Helper()
	c := client(t, s, user, "pw", resource)
	if err := c.Presence(1); err != nil {
		t.Fatal(err)
	}
	if stub != nil {
		stub.expect(t, "presence of "+c.JID, stanzaFrom("presence", c.JID, ""))
	}
	return c
}

// waitAdvertised waits until the host's disco#info, asked through c's node, lists AMP.
func waitAdvertised(t *testing.T, s *Server, c *c2stest.Client) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		res, err := c.IQ(ctxFor(t), `<iq type='get' to='`+s.Host+`'><query xmlns='`+nsDiscoInfo+`'/></iq>`)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(res.Raw), nsAMP) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not advertise AMP %v after ampd announced", s.Node, testTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A request from a user on node B, diverted to ampd connected to node A, is settled on B by a
// verdict ampd sends to A: the recipient gets the message once, the sender the reply. The
// presence of B's users reaches ampd, and B advertises what ampd announced to A (disco and
// stream feature).
func TestClusterVerdictForOtherNode(t *testing.T) {
	c := startCluster(t, Options{Users: clusterUsers})
	stub := connectComponent(t, c.A)
	stub.announce(t, c.A, announced)
	alice := online(t, c.B, stub, "alice", "phone")
	bob := online(t, c.A, stub, "bob", "desk")
	waitAdvertised(t, c.B, alice)
	late := client(t, c.B, "alice", "pw", "tablet")
	if !strings.Contains(string(late.Features()), "http://jabber.org/features/amp") {
		t.Errorf("node B offers no AMP stream feature after ampd announced to node A: %s", late.Features())
	}

	host := c.A.Host
	for _, tc := range []struct {
		name         string
		sender, rcpt *c2stest.Client
		id           string
	}{
		{"from B to A", alice, bob, "xb1"},
		{"from A to B", bob, alice, "xa1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sender.SendRaw(ampMessage(bareJID(tc.rcpt.JID), tc.id)); err != nil {
				t.Fatal(err)
			}
			d := expectDivert(t, stub, tc.id)
			stub.send(t, route.AppendVerdict(nil, c.A.ComponentDomain, host, d.ID, route.Deliver,
				notifyReply(host, tc.sender.JID, bareJID(tc.rcpt.JID), tc.id)))
			if _, err := tc.rcpt.Expect(ctxFor(t), message(tc.id)); err != nil {
				t.Fatal(err)
			}
			got, err := tc.sender.Expect(ctxFor(t), message(tc.id))
			if err != nil {
				t.Fatal(err)
			}
			if got.From != host || got.Find(nsAMP, "amp") == nil {
				t.Errorf("reply: %s", got.Raw)
			}
			// A second verdict for the route is ignored on the node that held it.
			stub.send(t, route.AppendVerdict(nil, c.A.ComponentDomain, host, d.ID, route.Deliver, nil))
			if err := tc.rcpt.ExpectNone(ctxFor(t), quiet, message(tc.id)); err != nil {
				t.Error(err)
			}
		})
	}
}

// A re-inject key routed through node A is known to node B: ampd's resend through B (its
// connection moved) is acknowledged and not routed again.
func TestClusterReinjectKeys(t *testing.T) {
	c := startCluster(t, Options{Users: clusterUsers})
	stub := connectComponent(t, c.A)
	bob := online(t, c.B, stub, "bob", "desk")
	host := c.A.Host
	msg := releasedMessage("alice@"+host+"/phone", "bob@"+host, "rk1")
	stub.send(t, route.AppendReinject(nil, c.A.ComponentDomain, host, "held-1-release", msg))
	expectAck(t, stub, c.A, "held-1-release")
	if _, err := bob.Expect(ctxFor(t), message("rk1")); err != nil {
		t.Fatal(err)
	}
	stub.close()
	stubB := connectComponent(t, c.B)
	stubB.send(t, route.AppendReinject(nil, c.B.ComponentDomain, host, "held-1-release", msg))
	expectAck(t, stubB, c.B, "held-1-release")
	stubB.send(t, route.AppendReinject(nil, c.B.ComponentDomain, host, "held-2-release",
		releasedMessage("alice@"+host+"/phone", "bob@"+host, "rk2")))
	expectAck(t, stubB, c.B, "held-2-release")
	if _, err := bob.Expect(ctxFor(t), message("rk2")); err != nil {
		t.Fatal(err)
	}
	if err := bob.ExpectNone(ctxFor(t), quiet, message("rk1")); err != nil {
		t.Errorf("the resent re-inject was routed again through the other node: %v", err)
	}
}

// ampd's connection moves from node A to node B: what B retained while ampd was away is
// re-diverted once ampd announces on B, and node A, which ampd never told, diverts again and
// carries out verdicts ampd sends to B.
func TestClusterComponentMoves(t *testing.T) {
	c := startCluster(t, Options{Users: clusterUsers})
	stub := connectComponent(t, c.A)
	stub.announce(t, c.A, announced)
	alice := online(t, c.B, stub, "alice", "phone")
	bob := online(t, c.A, stub, "bob", "desk")
	host := c.A.Host
	if err := alice.SendRaw(ampMessage("bob@"+host, "mv1")); err != nil {
		t.Fatal(err)
	}
	expectDivert(t, stub, "mv1")
	stub.close()
	waitNotAdvertised(t, c.B, alice)
	if err := alice.SendRaw(ampMessage("bob@"+host, "mv2")); err != nil {
		t.Fatal(err)
	}
	if err := alice.ExpectNone(ctxFor(t), quiet, message("mv2")); err != nil {
		t.Fatalf("bounced within the grace: %v", err)
	}
	stubB := connectComponentSending(t, c.B, route.AppendAnnounce(nil, c.B.ComponentDomain, host, announced))
	// The presences of the users online on both nodes reach ampd before the re-diverts:
	// ampd judges mv1 with its recipient, on node A, in its presence table.
	diverts := map[string]route.Divert{"mv1": expectDivert(t, stubB, "mv1")}
	for _, c := range []*c2stest.Client{alice, bob} {
		before := false
		for _, raw := range stubB.backlog { // what arrived before the divert, in order
			before = before || stanzaFrom("presence", c.JID, "")(raw)
		}
		if !before {
			t.Errorf("the re-divert came before the presence of %s; received before it:\n%s", c.JID, joinRaw(stubB.backlog))
		}
	}
	diverts["mv2"] = expectDivert(t, stubB, "mv2")
	for _, id := range []string{"mv1", "mv2"} {
		d := diverts[id]
		stubB.send(t, route.AppendVerdict(nil, c.B.ComponentDomain, host, d.ID, route.Deliver, nil))
		if _, err := bob.Expect(ctxFor(t), message(id)); err != nil {
			t.Fatal(err)
		}
	}
	waitAdvertised(t, c.A, bob)
	if err := bob.SendRaw(ampMessage("alice@"+host, "mv3")); err != nil {
		t.Fatal(err)
	}
	d := expectDivert(t, stubB, "mv3")
	stubB.send(t, route.AppendVerdict(nil, c.B.ComponentDomain, host, d.ID, route.Deliver,
		notifyReply(host, bob.JID, "alice@"+host, "mv3")))
	if _, err := alice.Expect(ctxFor(t), message("mv3")); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Expect(ctxFor(t), message("mv3")); err != nil {
		t.Fatalf("no reply to the sender on node A: %v", err)
	}
	for _, id := range []string{"mv1", "mv2"} {
		if err := bob.ExpectNone(ctxFor(t), quiet, message(id)); err != nil {
			t.Error(err)
		}
	}
}

// The node ampd is connected to dies (kill -9): node B sees ampd away without any hook,
// keeps its users' requests within the grace, and diverts them when ampd connects to B.
func TestClusterNodeDies(t *testing.T) {
	c := startCluster(t, Options{Users: clusterUsers})
	stub := connectComponent(t, c.A)
	stub.announce(t, c.A, announced)
	alice := online(t, c.B, stub, "alice", "phone")
	bob := online(t, c.B, stub, "bob", "desk")
	host := c.A.Host
	pid := c.A.PID()
	if pid == 0 {
		t.Fatal("node A has no pid")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitNotAdvertised(t, c.B, alice)
	if err := alice.SendRaw(ampMessage("bob@"+host, "nd1")); err != nil {
		t.Fatal(err)
	}
	if err := alice.ExpectNone(ctxFor(t), quiet, message("nd1")); err != nil {
		t.Fatalf("bounced within the grace: %v", err)
	}
	stubB := connectComponentSending(t, c.B, route.AppendAnnounce(nil, c.B.ComponentDomain, host, announced))
	d := expectDivert(t, stubB, "nd1")
	stubB.send(t, route.AppendVerdict(nil, c.B.ComponentDomain, host, d.ID, route.Deliver, nil))
	if _, err := bob.Expect(ctxFor(t), message("nd1")); err != nil {
		t.Fatal(err)
	}
	waitAdvertised(t, c.B, alice)
}

func bareJID(jid string) string {
	bare, _, _ := strings.Cut(jid, "/")
	return bare
}
