package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/prosodytest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// testVersion marks the package this test installs, so that a run that died half-way can be
// told from an operator's ampd and cleaned up by the next run.
const testVersion = "0.0.0~pkgtest"

const (
	unitPath  = "/usr/lib/systemd/system/ampd.service"
	stateDir  = "/var/lib/ampd"
	lockRetry = 5 * time.Minute // dpkg waits for no other package manager
)

// TestDebianPackage builds the package, installs it on this machine with dpkg -i, checks the
// unit with systemd-analyze, runs the unit's command lines as its user against a sandbox
// Prosody (ExecStartPre, ExecStart, ExecReload, then SIGTERM as systemctl stop sends it), and
// removes (dpkg -r) and purges (dpkg -P) it, checking what each keeps; then it does the same
// with the same file in the Debian 13 root of the test matrix (testInTrixie). It needs root
// and Debian's dpkg; it installs systemd-analyze, Prosody and the Debian 13 root when they
// are missing. It cleans up
// after itself (and after an earlier run that died), so it can run again.
func TestDebianPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("installs a Debian package on this machine; skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: it installs the package with dpkg -i (CI runs as root)")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Fatal("dpkg not found: this test needs a Debian system")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	lockMachine(t)
	ensureTools(t, ctx)
	removeLeftover(t)
	userExisted := lookupUser() != nil
	if _, err := os.Stat(stateDir); err == nil {
		if _, err := os.Stat(filepath.Join(stateDir, "ampd.db")); err == nil {
			t.Fatalf("%s/ampd.db exists (held messages of an ampd that was installed here): the test would use it; move it away first", stateDir)
		}
	}
	_, stateExisted := os.Stat(stateDir)
	t.Cleanup(func() { cleanUp(t, userExisted, stateExisted == nil) })

	deb := buildPackage(t)
	dpkg(t, "-i", deb)
	checkInstalled(t)
	verifyUnit(t)
	runUnit(t, ctx)

	dpkg(t, "-r", "ampd")
	for _, gone := range []string{"/usr/bin/ampd", unitPath, "/usr/share/ampd"} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("after dpkg -r: %s is still there", gone)
		}
	}
	for _, kept := range []string{"/etc/ampd/ampd.toml", stateDir, filepath.Join(stateDir, "ampd.db")} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("after dpkg -r: %s should be kept: %v", kept, err)
		}
	}
	if lookupUser() == nil {
		t.Error("after dpkg -r: the user ampd should be kept")
	}
	if got := status(t); got != "deinstall ok config-files" {
		t.Errorf("after dpkg -r: status %q, want deinstall ok config-files", got)
	}

	// Installing again keeps the edited configuration and unmasks the unit dpkg -r masked.
	dpkg(t, "-i", deb)
	if data, err := os.ReadFile("/etc/ampd/ampd.toml"); err != nil || !strings.Contains(string(data), "127.0.0.1:") {
		t.Errorf("after dpkg -r and -i: the edited /etc/ampd/ampd.toml was not kept (%v):\n%s", err, data)
	}
	if _, err := os.Lstat("/etc/systemd/system/ampd.service"); err == nil {
		t.Error("after dpkg -r and -i: the unit is still masked (/etc/systemd/system/ampd.service)")
	}

	dpkg(t, "-P", "ampd")
	for _, gone := range []string{"/etc/ampd/ampd.toml", "/etc/ampd"} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("after dpkg -P: %s is still there", gone)
		}
	}
	if _, err := os.Stat(filepath.Join(stateDir, "ampd.db")); err != nil {
		t.Errorf("after dpkg -P: the held messages should be kept (postrm): %v", err)
	}
	if lookupUser() == nil {
		t.Error("after dpkg -P: the user ampd should be kept (postrm)")
	}
	if got := status(t); got != "" {
		t.Errorf("after dpkg -P: status %q, want the package unknown to dpkg", got)
	}
	if left := unitLinks("/etc/systemd/system", "/var/lib/systemd"); len(left) > 0 {
		t.Errorf("after dpkg -P: systemd links or deb-systemd-helper state left: %v", left)
	}

	// The same file in the Debian 13 root of the test matrix, under the same lock.
	t.Run("Debian13Root", func(t *testing.T) { testInTrixie(t, ctx, deb) })
}

// unitLinks lists what enables, masks or records (deb-systemd-helper's state) the ampd unit
// under dirs.
func unitLinks(dirs ...string) []string {
	var found []string
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(filepath.Base(path), "ampd.service") {
				found = append(found, path)
			}
			return nil
		})
	}
	return found
}

// lockMachine keeps two runs of this test (two checkouts tested at once) from installing and
// removing the package under each other: the package, its user and /etc/ampd are machine-wide.
func lockMachine(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "ampd-debian-package-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock, after the cleanups registered later
}

// ensureTools installs what the test runs when it is missing.
func ensureTools(t *testing.T, ctx context.Context) {
	t.Helper()
	var log strings.Builder
	if err := sandboxproc.RunScript(ctx, "install-systemd-analyze.sh", &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if err := prosodytest.EnsureInstalled(ctx, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
}

// status is dpkg's status of the ampd package, "" when dpkg does not know it.
func status(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Status}", "ampd").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// removeLeftover purges the package a run of this test left behind; it refuses to touch any
// other ampd package.
func removeLeftover(t *testing.T) {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "ampd").Output()
	if err != nil {
		return // not known to dpkg
	}
	switch v := strings.TrimSpace(string(out)); v {
	case testVersion:
		dpkg(t, "-P", "ampd")
	default:
		t.Fatalf("ampd %s is installed on this machine; the test would replace it: remove it first (dpkg -P ampd) or run the test elsewhere", v)
	}
}

// cleanUp purges the package and removes the user and the state directory if the test made
// them.
func cleanUp(t *testing.T, keepUser, keepState bool) {
	if status(t) != "" {
		if out, err := exec.Command("dpkg", "-P", "ampd").CombinedOutput(); err != nil {
			t.Errorf("cleanup: dpkg -P ampd: %v\n%s", err, out)
		}
	}
	if !keepUser && lookupUser() != nil {
		if out, err := exec.Command("userdel", "ampd").CombinedOutput(); err != nil {
			t.Errorf("cleanup: userdel ampd: %v\n%s", err, out)
		}
		_ = exec.Command("groupdel", "ampd").Run() // userdel removes a user's own group already
	}
	if !keepState {
		if err := os.RemoveAll(stateDir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

func lookupUser() *user.User {
	u, err := user.Lookup("ampd")
	if err != nil {
		return nil
	}
	return u
}

// dpkg runs dpkg with args, waiting while another package manager holds dpkg's lock.
func dpkg(t *testing.T, args ...string) {
	t.Helper()
	retryLocked(t, "dpkg "+strings.Join(args, " "), func() ([]byte, error) {
		return exec.Command("dpkg", args...).CombinedOutput()
	})
}

// retryLocked runs a dpkg command line (what names it), again while another package manager
// holds dpkg's lock, and fails the test on any other error.
func retryLocked(t *testing.T, what string, run func() ([]byte, error)) {
	t.Helper()
	deadline := time.Now().Add(lockRetry)
	for {
		out, err := run()
		if err == nil {
			return
		}
		if strings.Contains(string(out), "lock") && time.Now().Before(deadline) {
			time.Sleep(2 * time.Second)
			continue
		}
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
}

// buildPackage builds ampd as make deb does and packages it with build.
func buildPackage(t *testing.T) string {
	t.Helper()
	root, err := sandboxproc.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	binary := filepath.Join(dir, "ampd")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+testVersion, "-o", binary, "./cmd/ampd")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	deb, err := build(options{Binary: binary, Version: testVersion, Arch: "amd64", Root: root, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ampd_" + testVersion + "_amd64.deb"; filepath.Base(deb) != want {
		t.Errorf("package file %s, want %s", filepath.Base(deb), want)
	}
	return deb
}

// checkInstalled checks the files, the user and the permissions after dpkg -i.
func checkInstalled(t *testing.T) {
	t.Helper()
	for _, f := range []string{
		"/usr/bin/ampd", "/etc/ampd/ampd.toml", unitPath,
		"/usr/share/ampd/prosody/mod_ampd.lua", "/usr/share/ampd/prosody/README.md",
		"/usr/share/ampd/ejabberd/src/mod_ampd.erl", "/usr/share/ampd/ejabberd/COPYING", "/usr/share/ampd/ejabberd/README.md",
		"/usr/share/ampd/monitoring/ampd-alerts.yml", "/usr/share/ampd/monitoring/ampd-dashboard.json",
	} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("after dpkg -i: %v", err)
		}
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Conffiles}", "ampd").Output()
	if err != nil || !strings.Contains(string(out), "/etc/ampd/ampd.toml") {
		t.Errorf("conffiles of ampd: %q (%v), want /etc/ampd/ampd.toml", out, err)
	}
	if left := unitLinks("/etc/systemd/system"); len(left) > 0 {
		t.Errorf("after dpkg -i: the unit is enabled or masked (%v); a new installation must wait for the configuration", left)
	}
	u := lookupUser()
	if u == nil {
		t.Fatal("after dpkg -i: no user ampd")
	}
	if uid, _ := strconv.Atoi(u.Uid); uid >= 1000 || uid == 0 {
		t.Errorf("user ampd has uid %s, want a system uid", u.Uid)
	}
	if out, _ := exec.Command("getent", "passwd", "ampd").Output(); !strings.HasSuffix(strings.TrimSpace(string(out)), ":/usr/sbin/nologin") {
		t.Errorf("user ampd: %q, want the shell /usr/sbin/nologin", out)
	}
	g, err := user.LookupGroup("ampd")
	if err != nil {
		t.Fatal(err)
	}
	checkOwner(t, "/etc/ampd/ampd.toml", "0", g.Gid, 0o640)
	checkOwner(t, stateDir, u.Uid, g.Gid, 0o750|os.ModeDir)
	// The packaged configuration is valid as shipped (only its secret is a placeholder).
	if out, err := exec.Command("/usr/bin/ampd", "check-config", "--config", "/etc/ampd/ampd.toml").CombinedOutput(); err != nil {
		t.Errorf("ampd check-config of the packaged configuration: %v\n%s", err, out)
	}
}

func checkOwner(t *testing.T, path, uid, gid string, mode os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	sys := st.Sys().(*syscall.Stat_t)
	if strconv.Itoa(int(sys.Uid)) != uid || strconv.Itoa(int(sys.Gid)) != gid || st.Mode() != mode {
		t.Errorf("%s: %d:%d %v, want %s:%s %v", path, sys.Uid, sys.Gid, st.Mode(), uid, gid, mode)
	}
}

// verifyUnit checks the installed unit with systemd-analyze: verify (syntax, the commands
// exist and are executable, the user's settings) and the offline security review (the
// hardening settings: exposure at most 2.0 of 10, "OK").
func verifyUnit(t *testing.T) {
	t.Helper()
	out, err := exec.Command("systemd-analyze", "verify", unitPath).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
	}
	out, err = exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=20", "--no-pager", unitPath).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security --offline=true --threshold=20: %v\n%s", err, out)
	}
}

// unitSettings reads the [Service] settings of the installed unit (the last value of each).
func unitSettings(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string]string{}
	section := ""
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '[':
			section = line
		case section == "[Service]":
			k, v, _ := strings.Cut(line, "=")
			settings[k] = v
		}
	}
	for _, k := range []string{"User", "Group", "ExecStartPre", "ExecStart", "ExecReload", "WorkingDirectory", "StateDirectory", "Restart", "NoNewPrivileges", "ProtectSystem"} {
		if settings[k] == "" {
			t.Errorf("%s has no %s", unitPath, k)
		}
	}
	if settings["StateDirectory"] != "ampd" || settings["Restart"] != "on-failure" || settings["ExecReload"] != "/bin/kill -HUP $MAINPID" {
		t.Errorf("unit: StateDirectory=%s Restart=%s ExecReload=%s, want ampd, on-failure, /bin/kill -HUP $MAINPID",
			settings["StateDirectory"], settings["Restart"], settings["ExecReload"])
	}
	return settings
}

// runUnit runs the unit's commands as systemd would (as its user, in its working directory)
// against a sandbox Prosody: ExecStartPre, then ExecStart until ready, ExecReload, and the
// SIGTERM of systemctl stop; ampd must stop with status 0 and log no warning. ampd doctor,
// run as the unit's user, must pass before ampd starts and while it runs.
func runUnit(t *testing.T, ctx context.Context) {
	t.Helper()
	unit := unitSettings(t)
	for _, k := range []string{"User", "Group", "ExecStartPre", "ExecStart", "ExecReload", "WorkingDirectory"} {
		if unit[k] == "" {
			return // reported by unitSettings
		}
	}
	s, err := prosodytest.Start(ctx, prosodytest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	port, err := sandboxproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf("[component]\naddress = %q\ndomain = %q\nsecret = %q\n\n[server]\nhosts = [%q]\n\n[store]\npath = %q\n\n[http]\nlisten = %q\n",
		s.ComponentAddr, s.ComponentDomain, s.Secret, s.Host, filepath.Join(stateDir, "ampd.db"), httpAddr)
	if err := os.WriteFile("/etc/ampd/ampd.toml", []byte(cfg), 0o640); err != nil {
		t.Fatal(err)
	}

	u, err := user.Lookup(unit["User"])
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroup(unit["Group"])
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	asUnit := func(line string) *exec.Cmd {
		args := strings.Fields(line)
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = unit["WorkingDirectory"]
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		return cmd
	}

	// The "done when": after dpkg -i, ampd doctor against the sandbox passes, first
	// connecting itself, then (below) through the running ampd's /status.
	doctorLine := "/usr/bin/ampd doctor --config /etc/ampd/ampd.toml"
	if out, err := asUnit(doctorLine).CombinedOutput(); err != nil || !strings.Contains(string(out), "all checks passed") {
		t.Errorf("%s: %v\n%s", doctorLine, err, out)
	}
	if out, err := asUnit(unit["ExecStartPre"]).CombinedOutput(); err != nil {
		t.Fatalf("ExecStartPre %s: %v\n%s", unit["ExecStartPre"], err, out)
	}
	logPath := filepath.Join(t.TempDir(), "ampd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	main := asUnit(unit["ExecStart"])
	main.Stdout, main.Stderr = logFile, logFile
	if err := main.Start(); err != nil {
		t.Fatalf("ExecStart %s: %v", unit["ExecStart"], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- main.Wait() }()
	defer func() {
		if main.ProcessState == nil {
			_ = main.Process.Kill()
			<-exited
		}
	}()
	logTail := func() string { data, _ := os.ReadFile(logPath); return string(data) }

	if err := waitReady(ctx, "http://"+httpAddr+"/readyz", exited); err != nil {
		t.Fatalf("ampd from ExecStart: %v\n%s\n%s", err, logTail(), s.LogTail(30))
	}
	if out, err := asUnit(doctorLine).CombinedOutput(); err != nil || !strings.Contains(string(out), "checked through its /status") {
		t.Errorf("%s with ampd running: %v\n%s", doctorLine, err, out)
	}
	// ExecReload, with $MAINPID as systemd substitutes it.
	reload := strings.ReplaceAll(unit["ExecReload"], "$MAINPID", strconv.Itoa(main.Process.Pid))
	if out, err := exec.Command("sh", "-c", reload).CombinedOutput(); err != nil {
		t.Fatalf("ExecReload %s: %v\n%s", reload, err, out)
	}
	if err := waitFor(ctx, func() bool { return strings.Contains(logTail(), "configuration reloaded") }); err != nil {
		t.Errorf("no \"configuration reloaded\" after ExecReload:\n%s", logTail())
	}
	// systemctl stop sends SIGTERM (KillSignal's default).
	if err := main.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("ampd after SIGTERM: %v, want exit status 0\n%s", err, logTail())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ampd did not stop within 30 s of SIGTERM\n%s", logTail())
	}
	log := logTail()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("a clean start, reload and stop logged: %s", line)
		}
	}
	if !strings.Contains(log, "ampd stopped") {
		t.Errorf("no \"ampd stopped\" in the log:\n%s", log)
	}
}

// waitReady polls url until it answers 200, ampd exits or ctx ends.
func waitReady(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	last := errors.New("no answer")
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(url)
		if err != nil {
			last = err
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		last = fmt.Errorf("%s: %d %s", url, resp.StatusCode, body)
	}
	return fmt.Errorf("not ready within 30 s: %v", last)
}

// waitFor polls cond for up to 10 s.
func waitFor(ctx context.Context, cond func() bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
