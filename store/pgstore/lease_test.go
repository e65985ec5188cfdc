package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
	"github.com/ampd-xmpp/ampd/store/storetest"
)

func acquire(t *testing.T, s *Store, ttl time.Duration) *Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, err := s.Acquire(ctx, NewHolderID(), ttl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// One holder at a time; a standby waits, and takes over at once when the holder releases.
func TestLeaseOneHolderAndRelease(t *testing.T) {
	dsn := pgtest.StartT(t).NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	la := acquire(t, a, 2*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // beyond the TTL: renewals keep it
	_, err := b.Acquire(ctx, NewHolderID(), 2*time.Second, nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second ampd acquired a held lease: %v", err)
	}
	r := storetest.Sample(1)
	if err := a.Put(&r); err != nil {
		t.Fatalf("the holder cannot write: %v", err)
	}

	if err := la.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(&r); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("write after Release: %v, want ErrLeaseLost", err)
	}
	start := time.Now()
	acquire(t, b, 2*time.Second)
	if d := time.Since(start); d > 2*time.Second { // one poll, with room for a loaded machine
		t.Errorf("standby took %s to take over a released lease", d)
	}
}

// A holder that dies without releasing (its renewals stop) is taken over once the lease
// expires; its writes are refused by the database from then on, even if it comes back.
func TestLeaseTakeoverAfterExpiry(t *testing.T) {
	dsn := pgtest.StartT(t).NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	const ttl = time.Second
	la := acquire(t, a, ttl)
	la.stop() // frozen: no renewals, no self-fence, as a process stopped by SIGSTOP
	<-la.done
	died := time.Now()

	acquire(t, b, ttl)
	took := time.Since(died)
	if took > ttl+time.Second { // expiry plus a poll, with room for a loaded machine
		t.Errorf("takeover took %s with a TTL of %s", took, ttl)
	}
	r := storetest.Sample(1)
	if err := a.Put(&r); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("write of the old holder after the takeover: %v, want ErrLeaseLost", err)
	}
	if err := b.Put(&r); err != nil {
		t.Errorf("write of the new holder: %v", err)
	}
	t.Logf("takeover %s after the holder stopped renewing (ttl %s)", took, ttl)
}

// With the database gone, the holder gives the lease up 3/4 TTL after its last renewal, before
// the lease can expire; a standby takes over only after the database is back and the lease
// has expired, so the two never hold it at once.
func TestLeaseLostWhenDatabaseStops(t *testing.T) {
	srv := pgtest.StartT(t)
	dsn := srv.NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	const ttl = 2 * time.Second
	la := acquire(t, a, ttl)
	time.Sleep(ttl / 2) // a few renewals

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	select {
	case <-la.Lost():
	case <-time.After(ttl):
		t.Fatalf("the holder still holds the lease %s after the database stopped", ttl)
	}
	lostAt := time.Now()
	if !errors.Is(la.Err(), ErrLeaseLost) {
		t.Errorf("Err = %v", la.Err())
	}
	r := storetest.Sample(1)
	if err := a.Put(&r); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("write after losing the lease: %v, want ErrLeaseLost", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	acquire(t, b, ttl)
	acquiredAt := time.Now()
	if !acquiredAt.After(lostAt) {
		t.Errorf("the standby acquired at %s, before the holder gave up at %s", acquiredAt, lostAt)
	}
	t.Logf("holder gave up %s after the database stopped; standby took over %s after that", lostAt.Sub(stopped), acquiredAt.Sub(lostAt))
}

// A renewal that hangs (here: blocked behind another transaction's row lock) does not delay
// giving the lease up: the holder stops 3/4 TTL after its last successful renewal.
func TestLeaseGivenUpWhileRenewalHangs(t *testing.T) {
	dsn := pgtest.StartT(t).NewDatabase(t)
	a := open(t, dsn)
	const ttl = 2 * time.Second
	la := acquire(t, a, ttl)

	ctx := context.Background()
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT 1 FROM ampd_lease FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	blocked := time.Now()
	select {
	case <-la.Lost():
	case <-time.After(ttl):
		t.Fatalf("the holder still holds the lease %s after its renewals started to hang", ttl)
	}
	// The last renewal that succeeded was sent before the block, and the lease it set lasts
	// until TTL after that: giving up must come before, with less than TTL/4 of slack.
	if took := time.Since(blocked); took > ttl*3/4+400*time.Millisecond {
		t.Errorf("gave the lease up %s after the renewals started to hang; want at most %s", took, ttl*3/4)
	}
}

// A write blocked on the database when the lease is given up ends at once with ErrLeaseLost:
// it cannot complete (and let ampd answer) after the fence.
func TestLeaseLostCancelsBlockedWrites(t *testing.T) {
	dsn := pgtest.StartT(t).NewDatabase(t)
	a := open(t, dsn)
	const ttl = 2 * time.Second
	la := acquire(t, a, ttl)

	ctx := context.Background()
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// Blocks the renewals and the lease check of every write.
	if _, err := tx.Exec(ctx, "SELECT 1 FROM ampd_lease FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		r := storetest.Sample(1)
		done <- a.Put(&r)
	}()
	select {
	case err := <-done:
		t.Fatalf("the write did not block: %v", err)
	case <-la.Lost():
	case <-time.After(ttl):
		t.Fatal("the lease was not given up")
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrLeaseLost) {
			t.Errorf("blocked write: %v, want ErrLeaseLost", err)
		}
	case <-time.After(500 * time.Millisecond):
		t.Error("the blocked write still runs 500ms after the lease was given up")
	}
}
