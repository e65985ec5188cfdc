package ejabberdtest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/component"
)

// waitLog waits for a line of the node's log at the given level ("info", "warning") that
// contains every one of parts, and fails the test when none comes in time. ejabberd writes
// its log asynchronously, hence the polling.
func waitLog(t *testing.T, s *Server, level string, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		data, _ := os.ReadFile(s.LogPath)
		for line := range strings.SplitSeq(string(data), "\n") {
			if !strings.Contains(line, "["+level+"]") {
				continue
			}
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no [%s] line with %q in the ejabberd log", level, parts)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestModuleLogs checks that mod_ampd logs what an operator needs at the levels the Prosody
// module uses: its start and the component's connect and disconnect at info, every request
// it could not hand to ampd (bounced, or expired without a verdict) at warning.
func TestModuleLogs(t *testing.T) {
	s := startServer(t, Options{PendingTimeout: time.Second, DownGrace: NoGrace, Users: map[string]string{"alice": "pw", "bob": "pw"}})
	waitLog(t, s, "info", "mod_ampd ready on "+s.Host, "component "+s.ComponentDomain, "when down: bounce")
	alice := client(t, s, "alice", "pw", "phone")

	// ampd not connected: the request is bounced, and the bounce is a warning.
	if err := alice.SendRaw(ampMessage("bob@"+s.Host, "logs1")); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Expect(ctxFor(t), message("logs1")); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s, "warning", "AMP request from "+alice.JID+" bounced: ampd is not connected (0 retained)")

	// The component connects: info.
	stub := &stubComponent{connected: make(chan struct{}, 1), stanzas: make(chan []byte, 1024)}
	stub.client = component.New(component.Config{Address: s.ComponentAddr, Domain: s.ComponentDomain, Secret: s.Secret}, stub)
	ctx, disconnect := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = stub.client.Run(ctx) }()
	defer func() { disconnect(); <-done }()
	select {
	case <-stub.connected:
	case <-time.After(testTimeout):
		t.Fatalf("component did not connect: %v", stub.client.LastError())
	}
	waitLog(t, s, "info", "ampd component "+s.ComponentDomain+" connected (0 retained)")

	// A diverted request without a verdict expires after pending_timeout: a warning.
	if err := alice.SendRaw(ampMessage("bob@"+s.Host, "logs2")); err != nil {
		t.Fatal(err)
	}
	expectDivert(t, stub, "logs2")
	if _, err := alice.Expect(ctxFor(t), message("logs2")); err != nil { // the bounce after the timeout
		t.Fatal(err)
	}
	waitLog(t, s, "warning", "1 retained AMP requests expired", "no verdict in 1 s): bounce; 0 retained")

	// The component disconnects: info.
	disconnect()
	<-done
	waitLog(t, s, "info", "ampd component "+s.ComponentDomain+" disconnected (", "0 requests stay retained")
}

// The module warns at start when pending_timeout does not exceed down_grace: both count from
// a request's arrival, so the timeout would cut the grace short. With the defaults (60 s and
// 20 s) it says nothing.
func TestTimeoutWithinGraceWarning(t *testing.T) {
	s := startServer(t, Options{PendingTimeout: 5 * time.Second, DownGrace: 10 * time.Second})
	waitLog(t, s, "warning", "pending_timeout (5 s) is not longer than down_grace (10 s)", "Set pending_timeout above down_grace")

	s = startServer(t, Options{})
	waitLog(t, s, "info", "mod_ampd ready on "+s.Host)
	if strings.Contains(s.LogTail(1000), "is not longer than down_grace") {
		t.Errorf("warned about the timeout with the defaults:\n%s", s.LogTail(100))
	}
}
