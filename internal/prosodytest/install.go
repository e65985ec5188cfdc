package prosodytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// privilegePaths are where the Debian package prosody-modules (and a few
// other layouts) put mod_privilege.
var privilegePaths = []string{
	"/usr/lib/prosody/modules/mod_privilege/mod_privilege.lua",
	"/usr/lib/prosody-modules/mod_privilege/mod_privilege.lua",
	"/usr/local/lib/prosody/modules/mod_privilege/mod_privilege.lua",
}

// Installed reports whether prosody and mod_privilege are present on the host.
func Installed() bool { return InstalledIn("") }

// InstalledIn reports whether prosody and mod_privilege are present in root ("" for the
// host).
func InstalledIn(root string) bool {
	for _, tool := range []string{"prosody", "prosodyctl"} {
		if root == "" {
			if _, err := exec.LookPath(tool); err != nil {
				return false
			}
		} else if _, err := os.Stat(filepath.Join(root, "usr/bin", tool)); err != nil {
			return false
		}
	}
	for _, p := range privilegePaths {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			return true
		}
	}
	return false
}

// RepoRoot returns the directory containing go.mod, walking up from the working directory.
func RepoRoot() (string, error) { return sandboxproc.RepoRoot() }

// EnsureInstalled runs scripts/install-prosody.sh when Prosody or
// mod_privilege is missing, writing its output to log.
func EnsureInstalled(ctx context.Context, log io.Writer) error {
	if Installed() {
		return nil
	}
	if err := sandboxproc.RunScript(ctx, "install-prosody.sh", log); err != nil {
		return fmt.Errorf("prosodytest: %w", err)
	}
	if !Installed() {
		return errors.New("prosodytest: prosody or mod_privilege still missing after install-prosody.sh")
	}
	return nil
}
