package prosodytest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// waitLog waits for a line of Prosody's log at the given level ("info", "warn") that contains
// every one of parts, and fails the test when none comes in time.
func waitLog(t *testing.T, s *Server, level string, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		data, _ := os.ReadFile(s.LogPath)
		for line := range strings.SplitSeq(string(data), "\n") {
			if !strings.Contains(line, "\t"+level+"\t") {
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
			t.Fatalf("no %s line with %q in the Prosody log", level, parts)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestModuleLogs is the Prosody half of ejabberdtest.TestModuleLogs: both modules log the
// module's start and the component's connect and disconnect at info, and every request they
// could not hand to ampd (bounced, or expired without a verdict) at warning.
func TestModuleLogs(t *testing.T) {
	s := startSandbox(t, Options{PendingTimeout: time.Second, DownGrace: NoGrace, LogLevel: "info"})
	waitLog(t, s, "info", "mod_ampd ready", "component "+s.ComponentDomain, "when down: bounce")
	alice := dial(t, s, "alice", "phone")

	// ampd not connected: the request is bounced, and the bounce is a warning.
	if err := alice.SendRaw(ampMessage("bob@"+s.Host, "logs1", "hi")); err != nil {
		t.Fatal(err)
	}
	expectClient(t, alice, message, c2stest.WithID("logs1"))
	waitLog(t, s, "warn", "AMP request from "+alice.JID+" bounced: ampd is not connected (0 retained)")

	stub := connectStub(t, s)
	waitLog(t, s, "info", "ampd component "+s.ComponentDomain+" connected (0 retained)")

	// A diverted request without a verdict expires after the pending timeout: a warning.
	if err := alice.SendRaw(ampMessage("bob@"+s.Host, "logs2", "hi")); err != nil {
		t.Fatal(err)
	}
	stub.expectDivert(t, "logs2")
	expectClient(t, alice, message, c2stest.WithID("logs2")) // the bounce after the timeout
	waitLog(t, s, "warn", "1 retained AMP requests expired", "no verdict in 1 s): bounce; 0 retained")

	stub.close()
	waitLog(t, s, "info", "ampd component "+s.ComponentDomain+" disconnected (", "0 requests stay retained")
}

// The module warns at start when the component keeps an old connection and refuses ampd's
// new one (Prosody's default), since a standby ampd could not replace a frozen one. With
// component_conflict_resolve = "kick_old", as the README asks, it says nothing
// (TestNoStartWarnings).
func TestConflictResolutionWarning(t *testing.T) {
	s := startSandbox(t, Options{KeepOldComponentConnection: true, LogLevel: "info"})
	waitLog(t, s, "warn", "component_conflict_resolve = \"kick_new\"", "kick_old")
}

// The module warns at start when ampd_pending_timeout does not exceed ampd_down_grace: both
// count from a request's arrival, so the timeout would cut the grace short. With the defaults
// (60 s and 20 s) it says nothing (TestNoStartWarnings).
func TestTimeoutWithinGraceWarning(t *testing.T) {
	s := startSandbox(t, Options{PendingTimeout: 5 * time.Second, DownGrace: 10 * time.Second, LogLevel: "info"})
	waitLog(t, s, "warn", "ampd_pending_timeout (5 s) is not longer than ampd_down_grace (10 s)", "Set ampd_pending_timeout above ampd_down_grace")
}

// The sandbox as the README configures a server (component_conflict_resolve = "kick_old",
// the default timeout and grace) starts without the module's configuration warnings.
func TestNoStartWarnings(t *testing.T) {
	s := startSandbox(t, Options{LogLevel: "info"})
	waitLog(t, s, "info", "mod_ampd ready")
	data, err := os.ReadFile(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, warning := range []string{"component_conflict_resolve", "is not longer than ampd_down_grace"} {
		if strings.Contains(string(data), warning) {
			t.Errorf("the log says %q:\n%s", warning, data)
		}
	}
}
