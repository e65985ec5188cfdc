package sandboxproc

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(p, []byte("a\nb\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]string{1: "c\n", 2: "b\nc\n", 5: "a\nb\nc\n"} {
		if got := Tail(p, n); got != want {
			t.Errorf("Tail(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestLaunchAndWait(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	done, err := Launch(exec.Command("sh", "-c", "echo hello; exit 3"), out)
	if err != nil {
		t.Fatal(err)
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The process exits without listening: WaitListening must say so, not hang.
	if err := WaitListening(ctx, done, "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		t.Fatal("WaitListening succeeded on a port nobody listens on")
	}
	<-done
	if got := Tail(out, 1); got != "hello\n" {
		t.Errorf("output = %q", got)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := WaitListening(ctx, make(chan struct{}), l.Addr().String()); err != nil {
		t.Fatalf("WaitListening on a listening port: %v", err)
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
}

// FillFreePorts gives distinct ports, and leaves the ports already set alone.
func TestFillFreePortsDistinct(t *testing.T) {
	ports := make([]int, 64)
	ports[7] = 1
	ptrs := make([]*int, len(ports))
	for i := range ports {
		ptrs[i] = &ports[i]
	}
	if err := FillFreePorts(ptrs...); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i, p := range ports {
		if i == 7 && p != 1 {
			t.Fatalf("a set port changed to %d", p)
		}
		if p == 0 || seen[p] {
			t.Fatalf("port %d: %d is zero or repeated", i, p)
		}
		seen[p] = true
	}
}
