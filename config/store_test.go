package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStoreDSNFile(t *testing.T) {
	cfg, err := Load("testdata/store-dsn-file.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://ampd:pw@db.example.org:5433/ampd?sslmode=require"; cfg.Store.DSN != want {
		t.Errorf("dsn = %q, want the file's content without surrounding space", cfg.Store.DSN)
	}
	if want := filepath.Join("testdata", "ampd.dsn"); cfg.Store.DSNFile != want {
		t.Errorf("dsn_file = %q, want %q (relative to the configuration file)", cfg.Store.DSNFile, want)
	}
	if cfg.Store.Backend != BackendPostgres || cfg.Store.LeaseTTL != 3*time.Second {
		t.Errorf("backend %q, lease_ttl %s; want postgres and the default 3s", cfg.Store.Backend, cfg.Store.LeaseTTL)
	}
}

// A DSN that does not parse is named by its key, and its password is never in the message.
func TestStoreDSNErrorHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://ampd:hunter2@db:notaport/ampd",
		"host=db port=notaport user=ampd password=hunter2",
	} {
		_, err := Parse([]byte(minimal + "\n[store]\nbackend = \"postgres\"\ndsn = \"" + dsn + "\"\n"))
		if err == nil || !strings.Contains(err.Error(), "store.dsn") {
			t.Fatalf("%s: %v; want an error naming store.dsn", dsn, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
