package serverkind

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A command in the Debian 13 root sees a bound directory at the same path, reads and writes
// it, and leaves no mount behind.
func TestCommandInTrixieRoot(t *testing.T) {
	if os.Geteuid() != 0 || !TrixieReady() {
		t.Skip("needs root and the Debian 13 root (scripts/install-trixie.sh)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := Command(ctx, TrixieRoot(), []string{dir}, "sh", "-c",
		`cat "$1/in"; grep VERSION_CODENAME /etc/os-release; echo bye >"$1/out"`, "sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := string(out); !strings.Contains(got, "hello") || !strings.Contains(got, "VERSION_CODENAME=trixie") {
		t.Errorf("output %q: want the bound file's content and trixie's os-release", got)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || string(b) != "bye\n" {
		t.Errorf("file written inside the root: %q, %v", b, err)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mounts), TrixieRoot()) {
		t.Errorf("a mount under %s is left in the host's namespace", TrixieRoot())
	}
}

func TestLookup(t *testing.T) {
	for _, k := range All {
		got, err := Lookup(k.Name)
		if err != nil || got != k {
			t.Errorf("Lookup(%q) = %v, %v", k.Name, got, err)
		}
	}
	if _, err := Lookup("openfire"); err == nil || !strings.Contains(err.Error(), "prosody13") {
		t.Errorf("Lookup(openfire): %v, want an error listing the names", err)
	}
	t.Setenv(Env, "ejabberd24")
	if k, _ := ForFamily(Prosody); k.Name != "prosody" {
		t.Errorf("ForFamily(prosody) under ejabberd24 = %s, want the host's prosody", k.Name)
	}
	if k, _ := ForFamily(Ejabberd); k.Name != "ejabberd24" {
		t.Errorf("ForFamily(ejabberd) under ejabberd24 = %s", k.Name)
	}
}
