package doctor

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
	"github.com/ampd-xmpp/ampd/store/pgstore"
)

// withPostgres rewrites the configuration at path to use a PostgreSQL store at dsn.
func withPostgres(t *testing.T, path, dsn string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pg := strings.Replace(string(data), "[store]\npath = \"ampd.db\"\n", fmt.Sprintf("[store]\nbackend = \"postgres\"\ndsn = %q\n", dsn), 1)
	if pg == string(data) {
		t.Fatal("no [store] section to rewrite")
	}
	if err := os.WriteFile(path, []byte(pg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A PostgreSQL store: doctor checks it read-only (a database ampd has not used yet, then one
// it has), and does not connect to the server while an ampd holds the store's lease, even one
// without its HTTP endpoint on another machine: its connection would replace that ampd's.
func TestPostgresStore(t *testing.T) {
	sb := startProsody(t, seed{})
	dsn := pgtest.StartT(t).NewDatabase(t)
	path := configFor(t, sb, "")
	withoutHTTP(t, path)
	withPostgres(t, path, dsn)

	r := run(t, path)
	passed(t, r, "store", "has not used it yet")
	passed(t, r, "handshake", "connected")
	if !r.OK() {
		t.Error("the report is not OK")
	}

	ctx := context.Background()
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{}) // as ampd does: creates the tables
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r = run(t, path)
	passed(t, r, "store", "0 held messages; no ampd holds its lease")

	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	lease, err := st.Acquire(wait, pgstore.NewHolderID(), 3*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(ctx)
	r = run(t, path)
	expect(t, r, "ampd running", Fail, []string{"systemctl stop ampd", "http.listen"}, nil)
	if c, _ := r.Find("ampd running"); !strings.Contains(c.Detail, lease.Holder()) {
		t.Errorf("the check does not name the holder %s: %s", lease.Holder(), c.Detail)
	}
	if _, ok := r.Find("handshake"); ok {
		t.Error("doctor connected to the server while an ampd held the store's lease")
	}
}

// passed checks that the named check passed with detail in its text.
func passed(t *testing.T, r *Report, name, detail string) {
	t.Helper()
	c, ok := r.Find(name)
	switch {
	case !ok:
		t.Errorf("no check %q", name)
	case c.Status != Pass || !strings.Contains(c.Detail, detail):
		t.Errorf("%s: %s %s, want ✓ with %q", name, c.Status.mark(), c.Detail, detail)
	}
}
