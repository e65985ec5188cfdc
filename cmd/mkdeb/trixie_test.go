package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/serverkind"
)

// testInTrixie installs the package deb in the Debian 13 root of the test matrix
// (serverkind.TrixieRoot, made by scripts/install-trixie.sh when missing) with dpkg -i run
// inside it, checks what the package installed there, runs ampd as its user, and removes and
// purges it, checking what each keeps. The root is shared: servers of other tests may be
// running in it, so this touches only the ampd package, its user and /var/lib/ampd, and
// leaves the root as it found it. TestDebianPackage holds the machine-wide lock around it.
//
// The unit is not verified here: the root is debootstrap's minbase with the servers, which
// has no systemd (so no systemd-analyze), and installing systemd there only for this is not
// worth its cost to every test run that makes the root; the host part verifies the same
// unit file with Debian 12's systemd-analyze. If the root ever has systemd-analyze, it is used.
func testInTrixie(t *testing.T, ctx context.Context, deb string) {
	var log strings.Builder
	if err := serverkind.EnsureTrixie(ctx, &log); err != nil {
		t.Fatalf("the Debian 13 root: %v\n%s", err, log.String())
	}
	root := serverkind.TrixieRoot()
	in := func(path string) string { return filepath.Join(root, path) }
	// run runs script with sh inside the root; its stdin is stdin when not nil.
	run := func(stdin []byte, script string, args ...string) ([]byte, error) {
		cmd := serverkind.Command(ctx, root, nil, "sh", append([]string{"-c", script, "sh"}, args...)...)
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		return cmd.CombinedOutput()
	}
	rootDpkg := func(args ...string) {
		t.Helper()
		retryLocked(t, "dpkg "+strings.Join(args, " ")+" (in "+root+")", func() ([]byte, error) {
			return run(nil, `exec dpkg "$@"`, args...)
		})
	}
	query := func(format string) string {
		out, err := run(nil, `dpkg-query -W -f "$1" ampd`, format)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	// getent is the root's entry of the user or group ampd, "" when there is none.
	getent := func(db string) string {
		out, err := run(nil, `getent "$1" ampd`, db)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}

	// An ampd package in the root: one this test left (purged) or someone else's (refused).
	switch v := query("${Version}"); v {
	case "":
	case testVersion:
		rootDpkg("-P", "ampd")
	default:
		t.Fatalf("ampd %s is installed in %s; the test would replace it: remove it first (chroot %s dpkg -P ampd)", v, root, root)
	}
	if _, err := os.Stat(in(storePath)); err == nil {
		t.Fatalf("%s exists (held messages of an ampd installed in the root): the test would use it; move it away first", in(storePath))
	}
	userExisted := getent("passwd") != ""
	_, stateErr := os.Stat(in(stateDir))
	t.Cleanup(func() {
		if query("${Status}") != "" {
			if out, err := run(nil, `dpkg -P ampd`); err != nil {
				t.Errorf("cleanup in %s: dpkg -P ampd: %v\n%s", root, err, out)
			}
		}
		if !userExisted && getent("passwd") != "" {
			if out, err := run(nil, `userdel ampd`); err != nil {
				t.Errorf("cleanup in %s: userdel ampd: %v\n%s", root, err, out)
			}
			_, _ = run(nil, `groupdel ampd`) // userdel removes a user's own group already
		}
		if stateErr != nil {
			if err := os.RemoveAll(in(stateDir)); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})

	// dpkg -i of the very file the host installed, copied into the namespace's own /tmp
	// (a tmpfs that vanishes with it), so that nothing of the host's paths lands in the root.
	data, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	retryLocked(t, "dpkg -i (in "+root+")", func() ([]byte, error) {
		return run(data, `cat >/tmp/ampd.deb && exec dpkg -i /tmp/ampd.deb`)
	})
	if got := query("${Version} ${Status}"); got != testVersion+" install ok installed" {
		t.Fatalf("in %s after dpkg -i: ampd is %q, want %s install ok installed", root, got, testVersion)
	}

	for _, f := range []string{
		"/usr/bin/ampd", configPath, unitPath,
		"/usr/share/ampd/prosody/mod_ampd.lua", "/usr/share/ampd/ejabberd/src/mod_ampd.erl",
		"/usr/share/ampd/monitoring/ampd-alerts.yml",
	} {
		if _, err := os.Stat(in(f)); err != nil {
			t.Errorf("in the root after dpkg -i: %v", err)
		}
	}
	if c := query("${Conffiles}"); !strings.Contains(c, configPath) {
		t.Errorf("conffiles of ampd in the root: %q, want %s", c, configPath)
	}
	pw := strings.Split(getent("passwd"), ":")
	gr := strings.Split(getent("group"), ":")
	if len(pw) != 7 || len(gr) < 3 {
		t.Fatalf("in the root after dpkg -i: user ampd %q, group ampd %q", pw, gr)
	}
	if uid, _ := strconv.Atoi(pw[2]); uid >= 1000 || uid == 0 {
		t.Errorf("user ampd in the root has uid %s, want a system uid", pw[2])
	}
	if pw[6] != "/usr/sbin/nologin" || pw[5] != stateDir {
		t.Errorf("user ampd in the root: home %s, shell %s; want %s, /usr/sbin/nologin", pw[5], pw[6], stateDir)
	}
	checkOwner(t, in(configPath), "0", gr[2], 0o640)
	checkOwner(t, in(stateDir), pw[2], gr[2], 0o750|os.ModeDir)

	// ampd as its user, as the unit runs it (setpriv is util-linux's, essential in Debian).
	asAmpd := `exec setpriv --reuid ampd --regid ampd --init-groups "$@"`
	out, err := run(nil, asAmpd, "/usr/bin/ampd", "version")
	if err != nil || !strings.Contains(string(out), testVersion) {
		t.Errorf("ampd version as ampd in the root: %v\n%s", err, out)
	}
	if out, err := run(nil, asAmpd, "/usr/bin/ampd", "check-config", "--config", configPath); err != nil {
		t.Errorf("ampd check-config --config %s as ampd in the root: %v\n%s", configPath, err, out)
	}
	if _, err := os.Stat(in("/usr/bin/systemd-analyze")); err == nil {
		if out, err := run(nil, `systemd-analyze verify "$1"`, unitPath); err != nil || len(bytes.TrimSpace(out)) != 0 {
			t.Errorf("systemd-analyze verify %s in the root: %v\n%s", unitPath, err, out)
		}
	} else {
		t.Logf("%s has no systemd-analyze (minbase, no systemd): the unit is verified on the host only", root)
	}

	rootDpkg("-r", "ampd")
	for _, gone := range []string{"/usr/bin/ampd", unitPath, "/usr/share/ampd"} {
		if _, err := os.Stat(in(gone)); err == nil {
			t.Errorf("in the root after dpkg -r: %s is still there", gone)
		}
	}
	for _, kept := range []string{configPath, stateDir} {
		if _, err := os.Stat(in(kept)); err != nil {
			t.Errorf("in the root after dpkg -r: %s should be kept: %v", kept, err)
		}
	}
	if getent("passwd") == "" {
		t.Error("in the root after dpkg -r: the user ampd should be kept")
	}
	if got := query("${Status}"); got != "deinstall ok config-files" {
		t.Errorf("in the root after dpkg -r: status %q, want deinstall ok config-files", got)
	}

	rootDpkg("-P", "ampd")
	for _, gone := range []string{configPath, "/etc/ampd"} {
		if _, err := os.Stat(in(gone)); err == nil {
			t.Errorf("in the root after dpkg -P: %s is still there", gone)
		}
	}
	if _, err := os.Stat(in(stateDir)); err != nil {
		t.Errorf("in the root after dpkg -P: %s should be kept (postrm): %v", stateDir, err)
	}
	if getent("passwd") == "" {
		t.Error("in the root after dpkg -P: the user ampd should be kept (postrm)")
	}
	if got := query("${Status}"); got != "" {
		t.Errorf("in the root after dpkg -P: status %q, want the package unknown to dpkg", got)
	}
	if left := unitLinks(in("/etc/systemd/system"), in("/var/lib/systemd")); len(left) > 0 {
		t.Errorf("in the root after dpkg -P: systemd links or deb-systemd-helper state left: %v", left)
	}
}
