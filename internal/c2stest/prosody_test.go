package c2stest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testServer is a throwaway Prosody for this package's own tests. The shared
// harness for ampd's integration tests lives elsewhere; this one is kept
// minimal on purpose.
type testServer struct {
	addr   string
	domain string
}

// startProsody starts Prosody on a free loopback port with the given
// accounts (user → password) and stops it when the test ends.
func startProsody(t *testing.T, accounts map[string]string) testServer {
	t.Helper()
	if _, err := exec.LookPath("prosody"); err != nil {
		t.Skip("c2stest: prosody is not installed; skipping the test against a real server")
	}
	dir := t.TempDir()
	port := freePort(t)
	const domain = "localhost"
	runAsRoot := ""
	if os.Geteuid() == 0 {
		runAsRoot = "run_as_root = true\n"
	}
	config := runAsRoot + fmt.Sprintf(`pidfile = %q
data_path = %q
interfaces = { "127.0.0.1" }
c2s_ports = { %d }
s2s_ports = {}
component_ports = {}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
log = { { levels = { min = "info" }, to = "file", filename = %q } }
modules_enabled = { "roster", "saslauth", "disco", "ping", "offline" }
VirtualHost %q
`, filepath.Join(dir, "prosody.pid"), dir, port, filepath.Join(dir, "prosody.log"), domain)
	configFile := filepath.Join(dir, "prosody.cfg.lua")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for user, password := range accounts {
		out, err := exec.Command("prosodyctl", "--config", configFile, "register", user, domain, password).CombinedOutput()
		if err != nil {
			t.Fatalf("prosodyctl register %s: %v\n%s", user, err, out)
		}
	}
	cmd := exec.Command("prosody", "-F", "--config", configFile)
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "prosody.log"))
			t.Logf("prosody output:\n%s\nprosody log:\n%s", output.String(), log)
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitForPort(t, addr)
	return testServer{addr: addr, domain: domain}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitForPort waits until something accepts connections on addr.
func waitForPort(t *testing.T, addr string) {
	t.Helper()
	const attempts = 200 // 20 s at most
	for range attempts {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("prosody did not listen on %s", addr)
}

// dial connects a client and closes it when the test ends.
func dial(ctx context.Context, t *testing.T, srv testServer, user, password, resource string) *Client {
	t.Helper()
	c, err := Dial(ctx, srv.addr, user, srv.domain, password, resource)
	if err != nil {
		t.Fatalf("dial %s: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
