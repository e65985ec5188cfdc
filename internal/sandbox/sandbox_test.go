package main

import (
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// The written ampd.toml must pass ampd's own strict loader and carry the
// values the sandbox chose.
func TestAmpdConfigLoads(t *testing.T) {
	s := ampdSettings{componentAddr: "127.0.0.1:5347", componentDomain: "amp.localhost",
		secret: `se"cret\`, host: "localhost", httpListen: "127.0.0.1:9479"}
	path, err := testserver.WriteAmpdConfig(t.TempDir(), ampdConfigHeader, ampdConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"component.address", cfg.Component.Address, s.componentAddr},
		{"component.domain", cfg.Component.Domain, s.componentDomain},
		{"component.secret", cfg.Component.Secret, s.secret},
		{"server.hosts", strings.Join(cfg.Server.Hosts, ","), s.host},
		{"http.listen", cfg.HTTP.Listen, s.httpListen},
		{"store.path", cfg.Store.Path, filepath.Join(filepath.Dir(path), "ampd.db")},
		{"privacy.presence_policy", cfg.Privacy.PresencePolicy, config.PolicyRoster},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestChoosePortKeepsAFreePreferredPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := l.Addr().(*net.TCPAddr).Port
	l.Close()
	port, note, err := choosePort("client", free)
	if err != nil {
		t.Fatal(err)
	}
	if port != free || note != "" {
		t.Fatalf("choosePort(%d) = %d, %q; want %d and no note", free, port, note, free)
	}
}

func TestChoosePortReplacesATakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	port, note, err := choosePort("client (c2s)", taken)
	if err != nil {
		t.Fatal(err)
	}
	if port == taken || port == 0 {
		t.Fatalf("choosePort(%d) = %d; want another port", taken, port)
	}
	want := "client (c2s) port " + strconv.Itoa(taken) + " is taken; using " + strconv.Itoa(port) + " instead"
	if note != want {
		t.Fatalf("note = %q, want %q", note, want)
	}
}

func TestProblemSaysWhatToDo(t *testing.T) {
	cause := errors.New("boom")
	p := &problem{what: "Prosody did not start", err: cause, fix: "run it again", detail: "line 1\nline 2\n"}
	want := "sandbox: Prosody did not start\n  cause: boom\n  what to do: run it again\n  details:\n    line 1\n    line 2"
	if got := p.Error(); got != want {
		t.Fatalf("Error() =\n%s\nwant\n%s", got, want)
	}
	if !errors.Is(p, cause) {
		t.Fatal("problem does not unwrap to its cause")
	}
}
