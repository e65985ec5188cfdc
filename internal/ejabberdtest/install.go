package ejabberdtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	installOnce sync.Once
	installErr  error
)

// EnsureInstalled makes sure ejabberdctl and erlc are present, running
// scripts/install-ejabberd.sh once per test binary when they are not (that
// needs root). It skips t when ejabberd cannot be installed.
func EnsureInstalled(t testing.TB) {
	t.Helper()
	installOnce.Do(func() { installErr = install() })
	if installErr != nil {
		t.Skipf("ejabberdtest: ejabberd is not available: %v", installErr)
	}
}

func install() error {
	if installed() {
		return nil
	}
	if os.Geteuid() != 0 {
		return errors.New("ejabberdctl or erlc missing, and not root to install them")
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	out, err := exec.Command("sh", filepath.Join(root, "scripts", "install-ejabberd.sh")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ejabberdtest: install-ejabberd.sh: %w\n%s", err, out)
	}
	if !installed() {
		return errors.New("ejabberdtest: ejabberdctl or erlc still missing after install")
	}
	return nil
}

func installed() bool {
	for _, tool := range []string{"ejabberdctl", "erlc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return false
		}
	}
	return true
}

// repoRoot walks up from the working directory (the package directory
// under go test) to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("ejabberdtest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("ejabberdtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// stageModuleSources lays out mod_ampd for "ejabberdctl module_install":
// sources/mod_ampd/{mod_ampd.spec, src/mod_ampd.erl, conf/mod_ampd.yml}
// under the contrib directory.
func stageModuleSources(contrib string, o Options) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	base := filepath.Join(contrib, "sources", "mod_ampd")
	for _, sub := range []string{"src", "conf"} {
		if err := os.MkdirAll(filepath.Join(base, sub), 0o750); err != nil {
			return fmt.Errorf("ejabberdtest: %w", err)
		}
	}
	for from, to := range map[string]string{
		"mod_ampd.spec": "mod_ampd.spec",
		"mod_ampd.erl":  filepath.Join("src", "mod_ampd.erl"),
	} {
		content, err := os.ReadFile(filepath.Join(root, "contrib", "ejabberd", from))
		if err != nil {
			return fmt.Errorf("ejabberdtest: %w", err)
		}
		if err := os.WriteFile(filepath.Join(base, to), content, 0o640); err != nil {
			return fmt.Errorf("ejabberdtest: %w", err)
		}
	}
	conf := "modules:\n" + ampdModuleConfig(o)
	if err := os.WriteFile(filepath.Join(base, "conf", "mod_ampd.yml"), []byte(conf), 0o640); err != nil {
		return fmt.Errorf("ejabberdtest: %w", err)
	}
	return nil
}

// compileModule compiles contrib/ejabberd/mod_ampd.erl into ebin with the
// include files of the installed ejabberd and p1_xmpp (the Debian package
// names the xmpp application p1_xmpp, so -include_lib("xmpp/…") would fail).
func compileModule(ebin string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	args := []string{"-o", ebin}
	for _, pattern := range []string{
		"/usr/lib/*/ejabberd-*/include",
		"/usr/lib/erlang/lib/p1_xmpp-*/include",
	} {
		dirs, _ := filepath.Glob(pattern)
		if len(dirs) == 0 {
			return fmt.Errorf("ejabberdtest: no include directory matches %s", pattern)
		}
		args = append(args, "-I", dirs[len(dirs)-1])
	}
	if dirs, _ := filepath.Glob("/usr/lib/*/ejabberd-*/ebin"); len(dirs) > 0 {
		// For the gen_mod behaviour check only.
		args = append(args, "-pa", dirs[len(dirs)-1])
	}
	args = append(args, filepath.Join(root, "contrib", "ejabberd", "mod_ampd.erl"))
	out, err := exec.Command("erlc", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ejabberdtest: erlc mod_ampd.erl: %w\n%s", err, out)
	}
	return nil
}
