package doctor

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/ejabberdtest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// withAddresses replaces the configuration's component.address with component.addresses.
func withAddresses(t *testing.T, path, first string, addrs ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(addrs))
	for i, a := range addrs {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	old := fmt.Sprintf("address = %q\n", first)
	if !strings.Contains(string(data), old) {
		t.Fatalf("no %s in\n%s", old, data)
	}
	text := strings.Replace(string(data), old, "addresses = ["+strings.Join(quoted, ", ")+"]\n", 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A second node that does not listen: the first node's checks pass, the second's TCP check
// fails with the fix for a server that is down, and its later checks are skipped, each name
// ending with its node.
func TestSecondNodeDown(t *testing.T) {
	sb := startProsody(t, seed{})
	port, err := sandboxproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf("127.0.0.1:%d", port)
	path := configFor(t, sb, "")
	withAddresses(t, path, sb.addr, sb.addr, down)
	r := run(t, path)
	first, second := " (node "+sb.addr+")", " (node "+down+")"
	for _, name := range []string{"tcp", "handshake", "privileges " + sb.host, "module " + sb.host} {
		if c, ok := r.Find(name + first); !ok || c.Status != Pass {
			t.Errorf("check %s: %+v, want ✓", name+first, c)
		}
	}
	expect(t, r, "tcp"+second, Fail, []string{fmt.Sprint(port)}, nil)
	for _, name := range []string{"handshake", "privileges " + sb.host, "module " + sb.host} {
		if c, ok := r.Find(name + second); !ok || c.Status != Skipped {
			t.Errorf("check %s: %+v, want skipped", name+second, c)
		}
	}
	if _, ok := r.Find("tcp"); ok {
		t.Error("with two addresses a check is named without its node")
	}
}

// A two-node ejabberd cluster: doctor connects to each node in turn (the module keeps one
// connection of the component in the whole cluster) and every node grants the permissions
// and advertises AMP after doctor's announcement.
func TestClusterNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var log strings.Builder
	if err := ejabberdtest.EnsureInstalled(ctx, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	c, err := ejabberdtest.StartCluster(ctx, ejabberdtest.Options{Dir: t.TempDir()}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cluster log tails:\n%s", c.LogTail(40))
		}
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	sb := sandbox{addr: c.A.ComponentAddr, domain: c.A.ComponentDomain, secret: c.A.Secret, host: c.A.Host}
	path := configFor(t, sb, "")
	withAddresses(t, path, sb.addr, c.A.ComponentAddr, c.B.ComponentAddr)
	r := run(t, path)
	if !r.OK() {
		t.Error("a correct cluster does not pass")
	}
	if r.Family != Ejabberd {
		t.Errorf("family %q, want %q", r.Family, Ejabberd)
	}
	for _, addr := range []string{c.A.ComponentAddr, c.B.ComponentAddr} {
		for _, name := range []string{"tcp", "handshake", "privileges " + sb.host, "module " + sb.host} {
			full := name + " (node " + addr + ")"
			if ch, ok := r.Find(full); !ok || ch.Status != Pass {
				t.Errorf("check %s: %+v, want ✓", full, ch)
			}
		}
	}
}
