package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/internal/ejabberdtest"
	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/ops"
	"github.com/ampd-xmpp/ampd/store"
)

// sandbox is a running server of either family, as the tests need it.
type sandbox struct {
	addr, domain, secret, host string
	c2s                        string // the client port
	stop                       func() error
	logTail                    func(int) string
}

// seed is a misconfiguration, given to both harnesses in their own terms.
type seed struct {
	withoutAmpd  bool
	withoutPrivs bool
}

// The account every sandbox has for the client probe.
const probeUser, probePassword = "probe", "probe-secret"

// families starts a sandbox of each server family, installing it when missing.
var families = []struct {
	family Family
	start  func(t *testing.T, s seed) sandbox
}{
	{Prosody, startProsody},
	{Ejabberd, startEjabberd},
}

func startProsody(t *testing.T, s seed) sandbox {
	t.Helper()
	o := prosodytest.Options{WithoutAmpd: s.withoutAmpd}
	if s.withoutPrivs {
		// The later assignment in the VirtualHost section wins: no entity is privileged.
		o.ExtraHostConfig = "\tprivileged_entities = { }"
	}
	return startProsodyWith(t, o)
}

func startProsodyWith(t *testing.T, o prosodytest.Options) sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var log strings.Builder
	if err := prosodytest.EnsureInstalled(ctx, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	o.Dir = t.TempDir()
	o.Users = map[string]string{probeUser: probePassword}
	srv, err := prosodytest.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox{srv.ComponentAddr, srv.ComponentDomain, srv.Secret, srv.Host, srv.C2SAddr, srv.Stop, srv.LogTail}
	t.Cleanup(func() { _ = srv.Stop() })
	return sb
}

func startEjabberd(t *testing.T, s seed) sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var log strings.Builder
	if err := ejabberdtest.EnsureInstalled(ctx, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	o := ejabberdtest.Options{Dir: t.TempDir(), WithoutAmpd: s.withoutAmpd, Users: map[string]string{probeUser: probePassword}}
	if s.withoutPrivs {
		// The host's own access rule for the component allows nobody: mod_privilege grants
		// nothing on this host.
		o.ExtraHostConfig = "access_rules:\n  ampd_component:\n    deny: all\n"
	}
	srv, err := ejabberdtest.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox{srv.ComponentAddr, srv.ComponentDomain, srv.Secret, srv.Host, srv.C2SAddr, srv.Stop, srv.LogTail}
	t.Cleanup(func() { _ = srv.Stop() })
	return sb
}

// configFor writes an ampd.toml for the sandbox; secret "" takes the sandbox's.
func configFor(t *testing.T, sb sandbox, secret string) string {
	t.Helper()
	if secret == "" {
		secret = sb.secret
	}
	port, err := sandboxproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ampd.toml")
	text := fmt.Sprintf("[component]\naddress = %q\ndomain = %q\nsecret = %q\n\n[server]\nhosts = [%q]\n\n[store]\npath = \"ampd.db\"\n\n[http]\nlisten = \"127.0.0.1:%d\"\n",
		sb.addr, sb.domain, secret, sb.host, port)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs doctor on path and returns the report, logging the checklist.
func run(t *testing.T, path string) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := Run(ctx, path, Options{Wait: 2 * time.Second})
	var out strings.Builder
	r.Write(&out)
	t.Logf("ampd doctor:\n%s", out.String())
	return r
}

// expect checks that the named check has the status, and its fix has every one of inFix and
// none of notInFix.
func expect(t *testing.T, r *Report, name string, status Status, inFix, notInFix []string) {
	t.Helper()
	c, ok := r.Find(name)
	if !ok {
		t.Fatalf("no check %q", name)
	}
	if c.Status != status {
		t.Errorf("%s: %s %s, want %s", name, c.Status.mark(), c.Detail, status.mark())
	}
	for _, s := range inFix {
		if !strings.Contains(c.Fix, s) {
			t.Errorf("%s: the fix does not say %q:\n%s", name, s, c.Fix)
		}
	}
	for _, s := range notInFix {
		if strings.Contains(c.Fix, s) {
			t.Errorf("%s: the fix says %q, which is for the other server family:\n%s", name, s, c.Fix)
		}
	}
	if r.OK() {
		t.Error("the report is OK despite the failed check")
	}
}

// The sandbox as it should be: every check passes, and the family is recognised.
func TestHealthy(t *testing.T) {
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{})
			r := run(t, configFor(t, sb, ""))
			if !r.OK() {
				t.Errorf("a correct setup does not pass:\n%s", sb.logTail(30))
			}
			if r.Family != f.family {
				t.Errorf("family %q, want %q", r.Family, f.family)
			}
			for _, name := range []string{"configuration", "tcp", "handshake", "privileges " + sb.host, "module " + sb.host, "store", "http"} {
				if c, ok := r.Find(name); !ok || c.Status != Pass {
					t.Errorf("check %s: %+v, want ✓", name, c)
				}
			}
			// The module's pong: its server and the sandbox's options.
			module, _ := r.Find("module " + sb.host)
			for _, want := range []string{"(" + strings.ToLower(string(f.family)) + " ", "when_down bounce", "max_pending 10000", "reinjected_max 10000", "0 retained"} {
				if !strings.Contains(module.Detail, want) {
					t.Errorf("module check %q does not say %q", module.Detail, want)
				}
			}
		})
	}
}

func TestWrongSecret(t *testing.T) {
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{})
			r := run(t, configFor(t, sb, "not-the-secret"))
			// The family is not known before the handshake: the fix names both settings.
			expect(t, r, "handshake", Fail, []string{"component.secret", "component_secret", "password:"}, nil)
			if c, _ := r.Find("privileges " + sb.host); c.Status != Skipped {
				t.Errorf("privileges after a failed handshake: %s, want skipped", c.Status.mark())
			}
		})
	}
}

func TestNoPrivileges(t *testing.T) {
	fixes := map[Family][2][]string{ // what the fix must say, and what it must not
		Prosody:  {{"privileged_entities", `presence = "managed_entity"`, "Component"}, {"mod_privilege:\n"}},
		Ejabberd: {{"mod_privilege:", "managed_entity: ampd_component", "access_rules:"}, {"privileged_entities"}},
	}
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{withoutPrivs: true})
			r := run(t, configFor(t, sb, ""))
			expect(t, r, "privileges "+sb.host, Fail, fixes[f.family][0], fixes[f.family][1])
			if c, _ := r.Find("handshake"); c.Status != Pass {
				t.Errorf("handshake: %s %s, want ✓", c.Status.mark(), c.Detail)
			}
		})
	}
}

func TestModuleMissing(t *testing.T) {
	fixes := map[Family][2][]string{
		Prosody:  {{`modules_enabled = { "ampd", "privilege" }`, "ampd_component = "}, {"mod_ampd:\n"}},
		Ejabberd: {{"mod_ampd:", "component: "}, {"ampd_component = "}},
	}
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{withoutAmpd: true})
			r := run(t, configFor(t, sb, ""))
			expect(t, r, "module "+sb.host, Fail, fixes[f.family][0], fixes[f.family][1])
			if c, _ := r.Find("privileges " + sb.host); c.Status != Pass {
				t.Errorf("privileges: %s %s, want ✓", c.Status.mark(), c.Detail)
			}
		})
	}
}

func TestServerDown(t *testing.T) {
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{})
			path := configFor(t, sb, "")
			if err := sb.stop(); err != nil {
				t.Fatal(err)
			}
			r := run(t, path)
			_, port, _ := strings.Cut(sb.addr, ":")
			expect(t, r, "tcp", Fail, []string{"component_ports = { " + port + " }", "port: " + port, "module: ejabberd_service"}, nil)
			if c, _ := r.Find("handshake"); c.Status != Skipped {
				t.Errorf("handshake with the server down: %s, want skipped", c.Status.mark())
			}
		})
	}
}

func TestBadConfiguration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ampd.toml")
	if err := os.WriteFile(path, []byte("[component]\naddress = \"127.0.0.1:5347\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, path)
	c, _ := r.Find("configuration")
	if c.Status != Fail || !strings.Contains(c.Detail, "component.") {
		t.Errorf("configuration: %s %s, want ✗ naming the missing key", c.Status.mark(), c.Detail)
	}
	if r.OK() {
		t.Error("an invalid configuration passes")
	}
}

// An ampd already serving its endpoint holds the component connection: doctor says so
// instead of failing the handshake with a conflict.
func TestAmpdRunning(t *testing.T) {
	ln, err := ops.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ops.ServeListener(ctx, ln, ops.NewHandler(prometheus.NewRegistry(), nil, nil, nil), slog.New(slog.DiscardHandler))
	}()
	defer func() { cancel(); <-done }()
	path := filepath.Join(t.TempDir(), "ampd.toml")
	text := fmt.Sprintf("[component]\naddress = \"127.0.0.1:1\"\ndomain = \"amp.localhost\"\nsecret = \"s\"\n\n[server]\nhosts = [\"localhost\"]\n\n[http]\nlisten = %q\n", ln.Addr().String())
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, path)
	expect(t, r, "ampd running", Fail, []string{"systemctl stop ampd"}, nil) // no /status to read
}

// holder stands in for an ampd that holds the component connection.
type holder struct{ up chan struct{} }

func (h holder) Connected() {
	select {
	case h.up <- struct{}{}:
	default:
	}
}
func (holder) Stanza([]byte)      {}
func (holder) Disconnected(error) {}

// holdComponent connects a stand-in for ampd as the sandbox's component until the test ends.
func holdComponent(t *testing.T, sb sandbox) {
	t.Helper()
	h := holder{up: make(chan struct{}, 1)}
	c := component.New(component.Config{Address: sb.addr, Domain: sb.domain, Secret: sb.secret}, h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-h.up:
	case <-time.After(30 * time.Second):
		t.Fatalf("the stand-in ampd did not connect: %v", c.LastError())
	}
}

// withoutHTTP rewrites the configuration at path with the HTTP endpoint disabled.
func withoutHTTP(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	noHTTP := regexp.MustCompile(`listen = "[^"]*"`).ReplaceAllString(string(data), `listen = ""`)
	if err := os.WriteFile(path, []byte(noHTTP), 0o600); err != nil {
		t.Fatal(err)
	}
}

// An ampd without its HTTP endpoint, on this machine: it holds the store, and doctor does not
// connect beside it (ejabberd would accept the second connection and share the traffic).
func TestAmpdRunningWithoutHTTP(t *testing.T) {
	for _, f := range families {
		t.Run(string(f.family), func(t *testing.T) {
			sb := f.start(t, seed{})
			holdComponent(t, sb)
			path := configFor(t, sb, "")
			withoutHTTP(t, path)
			st, err := store.Open(filepath.Join(filepath.Dir(path), "ampd.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			r := run(t, path)
			expect(t, r, "ampd running", Fail, []string{"systemctl stop ampd"}, nil)
			if _, ok := r.Find("handshake"); ok {
				t.Error("doctor connected beside the running ampd")
			}
		})
	}
}

// With Prosody's default component_conflict_resolve (kick_new, which the module's README asks
// to change) a second connection for a component is refused: doctor names the likely culprit
// rather than the domain or the secret. (With kick_old, and on ejabberd, whose module keeps
// the newest connection, doctor's would replace ampd's; TestAmpdRunningWithoutHTTP shows how
// doctor avoids connecting beside a running ampd.)
func TestSecondConnectionRefused(t *testing.T) {
	sb := startProsodyWith(t, prosodytest.Options{KeepOldComponentConnection: true})
	holdComponent(t, sb)
	path := configFor(t, sb, "")
	withoutHTTP(t, path)
	r := run(t, path)
	expect(t, r, "handshake", Fail, []string{"systemctl stop ampd"}, nil)
}

// Two hosts, mod_ampd on one of them: doctor tells them apart. (Prosody only: the ejabberd
// harness serves one host; TestModuleMissing runs the same per-host check on ejabberd.)
func TestModuleMissingOnOneHost(t *testing.T) {
	const other = "other.localhost"
	sb := startProsodyWith(t, prosodytest.Options{
		// A second VirtualHost with mod_privilege for the component and without mod_ampd.
		ExtraHostConfig: fmt.Sprintf("VirtualHost %q\n\tprivileged_entities = { [\"amp.localhost\"] = { presence = \"managed_entity\", roster = \"get\" } }\n\tmodules_enabled = { \"privilege\" }", other),
	})
	path := configFor(t, sb, "")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	twoHosts := strings.Replace(string(data), fmt.Sprintf("hosts = [%q]", sb.host), fmt.Sprintf("hosts = [%q, %q]", sb.host, other), 1)
	if err := os.WriteFile(path, []byte(twoHosts), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, path)
	expect(t, r, "module "+other, Fail, []string{`VirtualHost "` + other + `"`, `modules_enabled = { "ampd", "privilege" }`}, []string{"mod_ampd:\n"})
	for _, name := range []string{"module " + sb.host, "privileges " + sb.host, "privileges " + other} {
		if c, _ := r.Find(name); c.Status != Pass {
			t.Errorf("%s: %s %s, want ✓", name, c.Status.mark(), c.Detail)
		}
	}
}
