package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/doctor"
	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// With ampd running (the server accepts one connection per component), doctor reads its
// /status: connected, each host's permission, the held count.
func TestDoctorThroughRunningAmpd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log strings.Builder
	if err := prosodytest.EnsureInstalled(ctx, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	srv, err := prosodytest.Start(ctx, prosodytest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	port, err := sandboxproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	path := filepath.Join(t.TempDir(), "ampd.toml")
	cfg := fmt.Sprintf("[component]\naddress = %q\ndomain = %q\nsecret = %q\n\n[server]\nhosts = [%q]\n\n[http]\nlisten = %q\n\n[log]\nlevel = \"warn\"\n",
		srv.ComponentAddr, srv.ComponentDomain, srv.Secret, srv.Host, listen)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, path) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ampd not ready within 30 s\n%s", srv.LogTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}

	r := doctor.Run(ctx, path, doctor.Options{})
	var out strings.Builder
	r.Write(&out)
	t.Logf("ampd doctor:\n%s", out.String())
	if !r.OK() {
		t.Error("doctor through a running, ready ampd does not pass")
	}
	for name, want := range map[string]doctor.Status{
		"ampd running": doctor.Note, "connection": doctor.Pass, "privileges " + srv.Host: doctor.Pass, "store": doctor.Pass,
	} {
		if c, ok := r.Find(name); !ok || c.Status != want {
			t.Errorf("check %q: %+v, want status %d", name, c, want)
		}
	}
}

// The probe flags go together: a password without an account, or an account without its
// password, is refused before anything is checked.
func TestDoctorProbeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--probe-jid", "probe@localhost"},
		{"--probe-password", "pw"},
		{"--probe-insecure"},
		{"--probe-address", "127.0.0.1:5222"},
	} {
		cmd := doctorCommand()
		cmd.SetArgs(append([]string{"--config", filepath.Join(t.TempDir(), "absent.toml")}, args...))
		var out strings.Builder
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), "--probe-") {
			t.Errorf("ampd doctor %v: error %v, want the probe flags named", args, err)
		}
		if strings.Contains(out.String(), "configuration:") {
			t.Errorf("ampd doctor %v ran the checks:\n%s", args, out.String())
		}
	}
}
