package ejabberdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
)

// Installed reports whether ejabberdctl and erlc are present on the host.
func Installed() bool { return InstalledIn("") }

// InstalledIn reports whether ejabberdctl and erlc are present in root ("" for the host).
func InstalledIn(root string) bool {
	for _, tool := range []string{"ejabberdctl", "erlc"} {
		if root == "" {
			if _, err := exec.LookPath(tool); err != nil {
				return false
			}
		} else if _, err := os.Stat(filepath.Join(root, "usr/sbin", tool)); err != nil {
			if _, err := os.Stat(filepath.Join(root, "usr/bin", tool)); err != nil {
				return false
			}
		}
	}
	return true
}

// RepoRoot returns the directory containing go.mod, walking up from the working directory.
func RepoRoot() (string, error) { return sandboxproc.RepoRoot() }

// EnsureInstalled runs scripts/install-ejabberd.sh when ejabberd or erlc is
// missing (that needs root), writing its output to log.
func EnsureInstalled(ctx context.Context, log io.Writer) error {
	if Installed() {
		return nil
	}
	if err := sandboxproc.RunScript(ctx, "install-ejabberd.sh", log); err != nil {
		return fmt.Errorf("ejabberdtest: %w", err)
	}
	if !Installed() {
		return errors.New("ejabberdtest: ejabberdctl or erlc still missing after install-ejabberd.sh")
	}
	return nil
}

// compileModule compiles mod_ampd.erl from moduleDir into ebin with the
// include files of the installed ejabberd and p1_xmpp (the Debian package
// names the xmpp application p1_xmpp, so -include_lib("xmpp/…") would fail).
func compileModule(ctx context.Context, root, moduleDir, ebin string) error {
	args := []string{"-o", ebin}
	for _, pattern := range []string{
		"/usr/lib/*/ejabberd-*/include",
		"/usr/lib/erlang/lib/p1_xmpp-*/include",
	} {
		dirs := serverkind.InRoot(root, pattern)
		if len(dirs) == 0 {
			return fmt.Errorf("ejabberdtest: no include directory matches %s", pattern)
		}
		args = append(args, "-I", dirs[len(dirs)-1])
	}
	if dirs := serverkind.InRoot(root, "/usr/lib/*/ejabberd-*/ebin"); len(dirs) > 0 {
		// For the gen_mod behaviour check only.
		args = append(args, "-pa", dirs[len(dirs)-1])
	}
	args = append(args, filepath.Join(moduleDir, "mod_ampd.erl"))
	out, err := serverkind.Command(ctx, root, []string{moduleDir, ebin}, "erlc", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ejabberdtest: erlc mod_ampd.erl: %w\n%s", err, out)
	}
	return nil
}

// stageModuleSources lays out mod_ampd for "ejabberdctl module_install",
// as README.md describes: sources/mod_ampd/{mod_ampd.spec,
// src/mod_ampd.erl, conf/mod_ampd.yml} under the contrib directory.
func stageModuleSources(contrib string, o Options) error {
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
		content, err := os.ReadFile(filepath.Join(o.ModuleDir, from))
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
