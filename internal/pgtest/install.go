package pgtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// binDir returns the newest /usr/lib/postgresql/VERSION/bin that has initdb and pg_ctl.
func binDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	version := func(initdb string) float64 { // /usr/lib/postgresql/15/bin/initdb → 15
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(initdb))), 64)
		return v
	}
	slices.SortFunc(found, func(a, b string) int { return cmp.Compare(version(a), version(b)) })
	for i := len(found) - 1; i >= 0; i-- {
		dir := filepath.Dir(found[i])
		if ok, _ := filepath.Glob(filepath.Join(dir, "pg_ctl")); len(ok) == 1 {
			return dir, nil
		}
	}
	return "", errors.New("pgtest: no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin; run scripts/install-postgresql.sh")
}

// Installed reports whether the server binaries are present.
func Installed() bool {
	_, err := binDir()
	return err == nil
}

// EnsureInstalled runs scripts/install-postgresql.sh when the server binaries are missing,
// writing its output to log.
func EnsureInstalled(ctx context.Context, log io.Writer) error {
	if Installed() {
		return nil
	}
	if err := sandboxproc.RunScript(ctx, "install-postgresql.sh", log); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err := binDir()
	return err
}
