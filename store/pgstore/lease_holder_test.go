package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
)

// LeaseHolder tells an active ampd from none (ampd doctor's question), reads a held lease
// without taking it, and sees a released lease as free. A read-only Open of a database ampd
// has never used says so with ErrNoSchema.
func TestLeaseHolder(t *testing.T) {
	dsn := pgtest.StartT(t).NewDatabase(t)
	ctx := context.Background()
	if _, err := Open(ctx, dsn, Options{ReadOnly: true}); !errors.Is(err, ErrNoSchema) {
		t.Fatalf("read-only Open of a fresh database: %v, want ErrNoSchema", err)
	}
	a := open(t, dsn)
	if _, _, held, err := a.LeaseHolder(ctx); err != nil || held {
		t.Fatalf("before any ampd: held=%v err=%v, want free", held, err)
	}
	l := acquire(t, a, 3*time.Second)
	reader, err := Open(ctx, dsn, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	holder, left, held, err := reader.LeaseHolder(ctx)
	if err != nil || !held || holder != l.Holder() || left <= 0 || left > 3*time.Second {
		t.Fatalf("while held: holder=%q left=%s held=%v err=%v, want %q for at most 3s", holder, left, held, err, l.Holder())
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, held, err := reader.LeaseHolder(ctx); err != nil || held {
		t.Fatalf("after release: held=%v err=%v, want free", held, err)
	}
}
