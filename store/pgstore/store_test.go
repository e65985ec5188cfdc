package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/store"
	"github.com/ampd-xmpp/ampd/store/storetest"
)

// TestPostgres runs the backend suite, the one the embedded store passes, against a real
// PostgreSQL.
func TestPostgres(t *testing.T) {
	srv := pgtest.StartT(t)
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dsn := srv.NewDatabase(t)
		return func(readOnly bool) (store.Backend, error) {
			return Open(context.Background(), dsn, Options{ReadOnly: readOnly})
		}
	})
}

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func exec(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

func TestSchema(t *testing.T) {
	srv := pgtest.StartT(t)

	t.Run("two ampds migrate a fresh database together", func(t *testing.T) {
		dsn := srv.NewDatabase(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := Open(context.Background(), dsn, Options{})
				if err == nil {
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		s := open(t, dsn)
		var v int
		if err := s.pool.QueryRow(context.Background(), "SELECT version FROM ampd_schema").Scan(&v); err != nil || v != SchemaVersion {
			t.Errorf("schema version %d, %v; want %d", v, err, SchemaVersion)
		}
	})

	t.Run("a newer schema is refused with what to do", func(t *testing.T) {
		dsn := srv.NewDatabase(t)
		open(t, dsn).Close()
		exec(t, dsn, fmt.Sprintf("UPDATE ampd_schema SET version = %d", SchemaVersion+1))
		for _, ro := range []bool{false, true} {
			_, err := Open(context.Background(), dsn, Options{ReadOnly: ro})
			var tooNew *SchemaTooNewError
			if !errors.As(err, &tooNew) || !strings.Contains(err.Error(), "newer than this ampd knows") || !strings.Contains(err.Error(), "store.dsn") {
				t.Errorf("read-only %v: %v; want a SchemaTooNewError saying to run a newer ampd or change store.dsn", ro, err)
			}
		}
	})

	t.Run("read-only on a database ampd never used", func(t *testing.T) {
		dsn := srv.NewDatabase(t)
		if _, err := Open(context.Background(), dsn, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "nothing is held") {
			t.Errorf("read-only open of an empty database: %v", err)
		}
	})

	t.Run("synchronous_commit off is refused", func(t *testing.T) {
		dsn := srv.NewDatabase(t)
		name := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
		exec(t, dsn, "ALTER DATABASE "+name+" SET synchronous_commit = off")
		if _, err := Open(context.Background(), dsn, Options{}); err == nil || !strings.Contains(err.Error(), "synchronous_commit") {
			t.Errorf("open with synchronous_commit off: %v", err)
		}
	})
}

// An unreachable database fails at once, names the key to check and never the password.
func TestUnreachable(t *testing.T) {
	port, err := sandboxproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("postgres://ampd:hunter2@127.0.0.1:%d/ampd?sslmode=disable&connect_timeout=2", port)
	start := time.Now()
	_, err = Open(context.Background(), dsn, Options{Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), "store.dsn") {
		t.Fatalf("Open: %v; want an error naming store.dsn", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the password: %v", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("Open took %s to fail", d)
	}
}

// The role set-up docs/DEPLOYMENT.md gives is enough for ampd: a login role that owns the
// database, nothing more.
func TestDocumentedRoleSetup(t *testing.T) {
	srv := pgtest.StartT(t)
	exec(t, srv.DSN("postgres"), "CREATE ROLE ampd LOGIN PASSWORD 'change-me'")
	exec(t, srv.DSN("postgres"), "CREATE DATABASE ampd OWNER ampd")
	dsn := fmt.Sprintf("postgres://ampd:change-me@127.0.0.1:%d/ampd?sslmode=disable", srv.Port)
	s := open(t, dsn)
	l, err := s.Acquire(context.Background(), NewHolderID(), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	r := storetest.Sample(1)
	if err := s.Put(&r); err != nil {
		t.Fatalf("the documented role cannot write: %v", err)
	}
}
