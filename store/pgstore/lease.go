package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// leaseName is the one row of ampd_lease: one active ampd per database.
const leaseName = "active"

// ErrLeaseLost is returned by a write of an ampd that no longer holds the store's lease.
var ErrLeaseLost = errors.New("pgstore: this ampd no longer holds the store's lease (another ampd may have taken over); it must stop")

// Lease is the right to be the active ampd of a store: to connect to the XMPP server and to
// write held messages. It is a row with an expiry time kept by the database's clock:
//
//   - the holder renews it every TTL/4; a standby takes it once it has expired (Acquire);
//   - the holder counts, on its own monotonic clock, from the moment it sent its last
//     successful renewal; 3/4 TTL later without another it gives the lease up (Lost closes)
//     and must stop answering at once. The database set the expiry at least TTL after that
//     moment, so the holder has stopped a quarter TTL before any standby can take over,
//     whatever happened to the database or the network in between (only clock rates, not
//     clock readings, need to agree);
//   - every write checks the lease in its own transaction (Store.write), so even a holder
//     that was frozen past its expiry cannot change the store behind its successor.
type Lease struct {
	s      *Store
	holder string
	ttl    time.Duration
	log    *slog.Logger

	lostOnce sync.Once
	lost     chan struct{}
	cause    error
	stop     context.CancelFunc
	done     chan struct{}
}

// NewHolderID names this process in the lease row: host, PID and a random part, so that a
// restarted ampd never mistakes its predecessor's lease for its own.
func NewHolderID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Acquire waits until this ampd holds the store's lease, or ctx ends. While another ampd holds
// it, this one is a standby: it logs who holds it and polls. Once Acquire returns, every write
// of s checks the lease, and the lease is renewed in the background until Release or until it
// is lost (Lost).
func (s *Store) Acquire(ctx context.Context, holder string, ttl time.Duration, log *slog.Logger) (*Lease, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	poll := min(max(ttl/10, 100*time.Millisecond), time.Second)
	lastHolder, failing := "", false
	for {
		sent := time.Now() // the lease's expiry is set after this moment: count from it
		got, other, until, err := s.tryAcquire(ctx, holder, ttl)
		if err == nil && failing {
			failing = false
			log.Info("standby: the database answers again", "store", s.desc)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			if !failing { // once per outage, not at every poll
				failing = true
				log.Warn("standby: cannot read the store's lease; retrying until the database answers", "store", s.desc, "err", err)
			}
		case got:
			l := &Lease{s: s, holder: holder, ttl: ttl, log: log, lost: make(chan struct{}), done: make(chan struct{})}
			s.holder.Store(&holder)
			kctx, stop := context.WithCancel(context.Background())
			l.stop = stop
			go l.keep(kctx, sent)
			log.Info("holding the store's lease: this ampd is the active one", "store", s.desc, "holder", holder, "ttl", ttl)
			return l, nil
		case other != lastHolder:
			lastHolder = other
			log.Info("standby: another ampd holds the store's lease; taking over when it expires", "store", s.desc, "holder", other, "expires", until)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// tryAcquire takes the lease if it is free or expired, by the database's clock.
func (s *Store) tryAcquire(ctx context.Context, holder string, ttl time.Duration) (got bool, other string, until time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	err = s.pool.QueryRow(ctx, `INSERT INTO ampd_lease AS l (name, holder, acquired_at, expires_at)
		VALUES ($1, $2, now(), now() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = now(), expires_at = excluded.expires_at
		WHERE l.expires_at <= now()
		RETURNING true`, leaseName, holder, ttl.Microseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		err = s.pool.QueryRow(ctx, "SELECT holder, expires_at FROM ampd_lease WHERE name = $1", leaseName).Scan(&other, &until)
		return false, other, until, err
	}
	return got, "", time.Time{}, err
}

// Lost is closed when this ampd has given the lease up: it could not renew it in time, or
// found it taken. The holder must stop answering at once.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err says why the lease was lost (nil while it is held).
func (l *Lease) Err() error {
	select {
	case <-l.lost:
		return l.cause
	default:
		return nil
	}
}

// Holder is the ID this ampd holds the lease under.
func (l *Lease) Holder() string { return l.holder }

// keep renews the lease every TTL/4 and gives it up 3/4 TTL after the last renewal that
// succeeded was sent. The give-up is a timer of its own, so that it fires on time even while a
// renewal hangs in the driver.
func (l *Lease) keep(ctx context.Context, acquiredSent time.Time) {
	defer close(l.done)
	every, fenceAfter := l.ttl/4, l.ttl*3/4
	deadline := acquiredSent.Add(fenceAfter)
	fence := time.AfterFunc(time.Until(deadline), func() {
		l.give(fmt.Errorf("%w: not renewed for %s", ErrLeaseLost, fenceAfter))
	})
	defer fence.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.lost:
			return
		case <-time.After(every):
		}
		sent := time.Now()
		rctx, cancel := context.WithDeadline(ctx, deadline)
		tag, err := l.s.pool.Exec(rctx, `UPDATE ampd_lease SET expires_at = now() + $3 * interval '1 microsecond'
			WHERE name = $1 AND holder = $2 AND expires_at > now()`, leaseName, l.holder, l.ttl.Microseconds())
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && tag.RowsAffected() == 1:
			if !fence.Stop() {
				return // given up meanwhile: a late success does not undo it
			}
			deadline = sent.Add(fenceAfter)
			fence.Reset(time.Until(deadline))
		case err == nil:
			l.give(fmt.Errorf("%w: it expired or another ampd holds it", ErrLeaseLost))
			return
		default:
			l.log.Warn("cannot renew the store's lease; this ampd stops answering if it cannot renew it in time",
				"store", l.s.desc, "stop_at", deadline.Format(time.RFC3339Nano), "err", err)
		}
	}
}

// give marks the lease lost: writes fail from now on and Lost is closed.
func (l *Lease) give(cause error) {
	l.lostOnce.Do(func() {
		l.s.fenced.Store(true)
		l.s.unfence()
		l.cause = cause
		l.log.Error("lost the store's lease: stopping at once so that a standby can take over", "store", l.s.desc, "holder", l.holder, "err", cause)
		close(l.lost)
	})
}

// Release stops renewing and, if the lease is still held, ends it now, so that a standby takes
// over at once instead of waiting for it to expire. Call it only once this ampd has stopped
// answering (its component connection is closed).
func (l *Lease) Release(ctx context.Context) error {
	l.stop()
	<-l.done
	l.lostOnce.Do(func() {
		l.s.fenced.Store(true)
		l.s.unfence()
		l.cause = errors.New("pgstore: lease released")
		close(l.lost)
	})
	ctx, cancel := context.WithTimeout(ctx, l.s.opts.Timeout)
	defer cancel()
	_, err := l.s.pool.Exec(ctx, "UPDATE ampd_lease SET expires_at = now() WHERE name = $1 AND holder = $2 AND expires_at > now()", leaseName, l.holder)
	if err != nil {
		return fmt.Errorf("pgstore: releasing the lease in %s (a standby takes over when it expires): %w", l.s.desc, err)
	}
	return nil
}
