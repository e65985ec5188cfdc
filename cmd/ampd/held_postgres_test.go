package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
	"github.com/ampd-xmpp/ampd/store/pgstore"
	"github.com/ampd-xmpp/ampd/store/storetest"
)

func heldCmd(t *testing.T, cfg string, args ...string) (string, error) {
	t.Helper()
	cmd := heldCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append(args, "--config", cfg))
	err := cmd.Execute()
	return out.String(), err
}

// ampd held on a PostgreSQL store: list and show read while an ampd is active; drop and
// recover are refused with what to do, and drop works once no ampd holds the lease.
func TestHeldPostgres(t *testing.T) {
	dsn := pgtest.StartT(t).NewDatabase(t)
	cfg := filepath.Join(t.TempDir(), "ampd.toml")
	toml := fmt.Sprintf("[component]\naddress = \"127.0.0.1:5347\"\ndomain = \"amp.localhost\"\nsecret = \"s\"\n[server]\nhosts = [\"localhost\"]\n[store]\nbackend = \"postgres\"\ndsn = %q\nlease_ttl = \"1s\"\n", dsn)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	active, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer active.Close()
	lease, err := active.Acquire(ctx, pgstore.NewHolderID(), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := storetest.Sample(1)
	if err := active.Put(&r); err != nil {
		t.Fatal(err)
	}

	if out, err := heldCmd(t, cfg, "list"); err != nil || !strings.Contains(out, "bob@example.org") {
		t.Errorf("held list: %v\n%s", err, out)
	}
	if out, err := heldCmd(t, cfg, "show", "1"); err != nil || !strings.Contains(out, "deadline:  rule 0") {
		t.Errorf("held show: %v\n%s", err, out)
	}
	if _, err := heldCmd(t, cfg, "drop", "1"); err == nil || !strings.Contains(err.Error(), "stop every ampd") {
		t.Errorf("held drop while an ampd is active: %v", err)
	}
	if _, err := heldCmd(t, cfg, "recover"); err == nil || !strings.Contains(err.Error(), "embedded") {
		t.Errorf("held recover on postgres: %v", err)
	}

	if err := lease.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if out, err := heldCmd(t, cfg, "drop", "1"); err != nil || !strings.Contains(out, "dropped:") {
		t.Errorf("held drop with no ampd active: %v\n%s", err, out)
	}
	if n, _ := active.Len(); n != 0 {
		t.Errorf("%d held after drop", n)
	}
}
