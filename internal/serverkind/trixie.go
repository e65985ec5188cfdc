package serverkind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// RootEnv overrides where scripts/install-trixie.sh makes the Debian 13 root.
const RootEnv = "AMPD_TRIXIE_ROOT"

// defaultTrixieRoot is the script's default; outside the repository, kept between runs.
const defaultTrixieRoot = "/var/lib/ampd-test/trixie"

// readyMarker is the file install-trixie.sh writes last, once the root is complete.
const readyMarker = ".ampd-test-ready"

// TrixieRoot is the directory of the Debian 13 root.
func TrixieRoot() string {
	if r := os.Getenv(RootEnv); r != "" {
		return r
	}
	return defaultTrixieRoot
}

// TrixieReady reports whether install-trixie.sh has finished the root.
func TrixieReady() bool {
	_, err := os.Stat(filepath.Join(TrixieRoot(), readyMarker))
	return err == nil
}

// EnsureTrixie runs scripts/install-trixie.sh when the root is not ready (that needs root),
// writing its output to log.
func EnsureTrixie(ctx context.Context, log io.Writer) error {
	if TrixieReady() {
		return nil
	}
	if err := sandboxproc.RunScript(ctx, "install-trixie.sh", log); err != nil {
		return fmt.Errorf("serverkind: %w", err)
	}
	if !TrixieReady() {
		return errors.New("serverkind: the Debian 13 root is still not ready after install-trixie.sh")
	}
	return nil
}
