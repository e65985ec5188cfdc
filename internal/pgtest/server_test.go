package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStartStopStart checks the harness itself: a fresh database answers, the server stops
// (connections fail) and starts again on the same port with its data.
func TestStartStopStart(t *testing.T) {
	s := StartT(t)
	dsn := s.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := exec("SELECT 1"); err == nil {
		t.Fatal("a stopped server answered")
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := exec("DELETE FROM kept WHERE n = 1"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
