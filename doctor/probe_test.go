package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
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
	return runProbeWith(t, sb, configFor(t, sb, ""), pw, false)
}

func runProbeWith(t *testing.T, sb sandbox, path, pw string, insecure bool) *Report {
	t.Helper()
	return runProbeWithCA(t, sb, path, pw, insecure, nil)
}

func runProbeWithCA(t *testing.T, sb sandbox, path, pw string, insecure bool, roots *x509.CertPool) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := Run(ctx, path, Options{Wait: 3 * time.Second, Probe: &Probe{JID: probeUser + "@" + sb.host, Password: pw, Address: sb.c2s, Insecure: insecure, RootCAs: roots}})
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
// message and sends the notify.
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
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{})
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
			r := runProbeWith(t, sb, path, probePassword, false)
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
		})
	}
}

// selfSigned writes a self-signed certificate for host and its key into dir.
func selfSigned(t *testing.T, dir, host string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// A server with a self-signed certificate: STARTTLS fails verification with the fix,
// --probe-insecure logs in over TLS, named in a WARNING line, and with the certificate
// trusted the verified STARTTLS is a ✓. (Prosody: its sandbox takes
// a certificate from the configuration.)
func TestProbeTLS(t *testing.T) {
	certPath, keyPath := selfSigned(t, t.TempDir(), "localhost")
	sb := startProsodyWith(t, prosodytest.Options{
		ExtraGlobalConfig: fmt.Sprintf("ssl = { certificate = %q, key = %q }", certPath, keyPath),
		// The host's list again with mod_tls (the later assignment in the section wins).
		ExtraHostConfig: "\tmodules_enabled = { \"ampd\", \"privilege\", \"tls\" }",
	})
	path := configFor(t, sb, "")

	r := runProbeWith(t, sb, path, probePassword, false)
	expect(t, r, "probe tls", Fail, []string{"--probe-insecure"}, nil)
	if c, _ := r.Find("probe tls"); !strings.Contains(c.Detail, "certificate") {
		t.Errorf("probe tls: %s, want the certificate named", c.Detail)
	}

	r = runProbeWith(t, sb, path, probePassword, true)
	if !r.OK() {
		t.Errorf("--probe-insecure against a self-signed certificate does not pass:\n%s", sb.logTail(30))
	}
	if c, _ := r.Find("probe tls"); c.Status != Note || !strings.Contains(c.Detail, "WARNING") || !strings.Contains(c.Detail, "--probe-insecure") {
		t.Errorf("probe tls: %s %s, want a WARNING naming --probe-insecure", c.Status.mark(), c.Detail)
	}

	pemBytes, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	r = runProbeWithCA(t, sb, path, probePassword, false, roots)
	if !r.OK() {
		t.Error("a trusted certificate does not pass")
	}
	if c, _ := r.Find("probe tls"); c.Status != Pass || !strings.Contains(c.Detail, "certificate valid") {
		t.Errorf("probe tls: %s %s, want ✓ with the certificate verified", c.Status.mark(), c.Detail)
	}
}
