package doctor

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// runProbeOn runs doctor with the client probe, password pw, against the sandbox.
func runProbeOn(t *testing.T, sb sandbox, pw string) *Report {
	t.Helper()
	return runProbeWith(t, sb, configFor(t, sb, ""), pw)
}

func runProbeWith(t *testing.T, sb sandbox, path, pw string) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := Run(ctx, path, Options{Wait: 3 * time.Second, Probe: &Probe{JID: probeUser + "@" + sb.host, Password: pw, Address: sb.c2s}})
	var out strings.Builder
	r.Write(&out)
	t.Logf("ampd doctor --probe-jid %s@%s:\n%s", probeUser, sb.host, out.String())
	return r
}

// A healthy sandbox: the probe logs in (the sandboxes offer no STARTTLS: a note), sees the
// stream feature and the configured features, and its AMP message is diverted and delivered.
func TestProbe(t *testing.T) {
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{})
			r := runProbeOn(t, sb, probePassword)
			if !r.OK() {
				t.Errorf("a correct setup does not pass:\n%s", sb.logTail(30))
			}
			for _, name := range []string{"probe connect", "probe login", "probe stream feature", "probe disco", "probe message"} {
				if c, ok := r.Find(name); !ok || c.Status != Pass {
					t.Errorf("check %s: %+v, want ✓", name, c)
				}
			}
			if c, _ := r.Find("probe tls"); c.Status != Note || !strings.Contains(c.Detail, "no STARTTLS") {
				t.Errorf("probe tls: %s %s, want the unencrypted login named", c.Status.mark(), c.Detail)
			}
		})
	}
}

func TestProbeWrongPassword(t *testing.T) {
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{})
			r := runProbeOn(t, sb, "not-the-password")
			expect(t, r, "probe login", Fail, []string{"--probe-password", "prosodyctl adduser", "ejabberdctl register"}, nil)
			if c, _ := r.Find("probe login"); !strings.Contains(c.Detail, "refused the password") {
				t.Errorf("probe login: %s, want the refused password named", c.Detail)
			}
			if c, _ := r.Find("probe stream feature"); c.Status != Skipped {
				t.Errorf("probe stream feature after a failed login: %s, want skipped", c.Status.mark())
			}
		})
	}
}

func TestProbeModuleMissing(t *testing.T) {
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{withoutAmpd: true})
			r := runProbeOn(t, sb, probePassword)
			expect(t, r, "probe stream feature", Fail, []string{"mod_ampd", "ampd is connected and has announced"}, nil)
			if c, _ := r.Find("probe login"); c.Status != Pass {
				t.Errorf("probe login: %s %s, want ✓", c.Status.mark(), c.Detail)
			}
			if c, _ := r.Find("probe disco"); c.Status != Fail {
				t.Errorf("probe disco without the module: %s %s, want ✗", c.Status.mark(), c.Detail)
			}
		})
	}
}

// Beside a running ampd, the probe is a client of the real chain: ampd decides the probe's
// message and sends the notify. (Prosody only: the ejabberd module's diverts and verdicts
// are the same protocol, checked by TestProbe/ejabberd with doctor as the component.)
func TestProbeThroughRunningAmpd(t *testing.T) {
	root, err := prosodytest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "ampd")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ampd")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sb := startProsody(t, seed{})
	path := configFor(t, sb, "")
	amp, err := testserver.StartAmpd(bin, path, filepath.Join(t.TempDir(), "ampd.log"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = amp.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := amp.WaitReady(ctx, cfg.HTTP.Listen); err != nil {
		t.Fatal(err)
	}
	r := runProbeWith(t, sb, path, probePassword)
	if !r.OK() {
		t.Errorf("a correct setup with ampd running does not pass:\n%s", sb.logTail(30))
	}
	if _, ok := r.Find("handshake"); ok {
		t.Error("doctor connected beside the running ampd")
	}
	c, _ := r.Find("probe message")
	if c.Status != Pass || !strings.Contains(c.Detail, "ampd sent the notify") {
		t.Errorf("probe message: %s %s, want ampd's notify", c.Status.mark(), c.Detail)
	}
}
