package prosodytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// privilegePaths are where the Debian package prosody-modules (and a few
// other layouts) put mod_privilege.
var privilegePaths = []string{
	"/usr/lib/prosody/modules/mod_privilege/mod_privilege.lua",
	"/usr/lib/prosody-modules/mod_privilege/mod_privilege.lua",
	"/usr/local/lib/prosody/modules/mod_privilege/mod_privilege.lua",
}

// Installed reports whether prosody and mod_privilege are present.
func Installed() bool {
	if _, err := exec.LookPath("prosody"); err != nil {
		return false
	}
	if _, err := exec.LookPath("prosodyctl"); err != nil {
		return false
	}
	for _, p := range privilegePaths {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// EnsureInstalled runs scripts/install-prosody.sh when Prosody or
// mod_privilege is missing, writing its output to log.
func EnsureInstalled(ctx context.Context, log io.Writer) error {
	if Installed() {
		return nil
	}
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", filepath.Join(root, "scripts", "install-prosody.sh"))
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("prosodytest: install-prosody.sh: %w", err)
	}
	if !Installed() {
		return errors.New("prosodytest: prosody or mod_privilege still missing after install-prosody.sh")
	}
	return nil
}

// RepoRoot returns the directory containing go.mod, walking up from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("prosodytest: %w", err)
	}
	for range 64 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("prosodytest: no go.mod above the working directory")
}
