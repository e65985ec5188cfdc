package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/daemon"
	"github.com/ampd-xmpp/ampd/store"
	"github.com/ampd-xmpp/ampd/store/pgstore"
)

// holdStore opens a postgres store and waits until this ampd holds its lease: until then it is
// a standby, and only the holder may connect to the XMPP server (docs/DEPLOYMENT.md). It
// returns a context that ends when the lease is lost, so that the daemon stops answering at
// once, and release, to call once the daemon has stopped: it hands the lease over, closes the
// store and returns why the lease was lost, if it was. With the embedded backend it returns ctx, no store (the daemon
// opens the file) and a release that does nothing.
func holdStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (context.Context, store.Backend, func() error, error) {
	if cfg.Store.Backend != config.BackendPostgres {
		return ctx, nil, func() error { return nil }, nil
	}
	st, err := pgstore.Open(ctx, cfg.Store.DSN, pgstore.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	holder := pgstore.NewHolderID()
	log.Info("waiting for the store's lease", "store", st.Path(), "holder", holder)
	lease, err := st.Acquire(ctx, holder, cfg.Store.LeaseTTL, log.With("layer", "lease"))
	if err != nil {
		st.Close()
		return nil, nil, nil, fmt.Errorf("standby stopped before it held the store's lease: %w", err)
	}
	fenced, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-lease.Lost():
			cancel()
		case <-fenced.Done():
		}
	}()
	release := func() error {
		cancel()
		lost := lease.Err()
		// Bounded: with the database gone, exiting (and being restarted as a standby) matters
		// more than handing over early; the lease then expires on its own.
		ctx, cancelRelease := context.WithTimeout(context.Background(), time.Second)
		defer cancelRelease()
		if err := lease.Release(ctx); err != nil {
			log.Warn("could not release the store's lease; a standby takes over when it expires", "err", err)
		}
		st.Close()
		return lost
	}
	return fenced, st, release, nil
}

// withSharedStore opens a postgres store for ampd held. Reading needs nothing more (the
// active ampd may run); a change first takes the lease, so that it is refused while an ampd is
// active on the store: that ampd keeps the held messages in memory and would not see it.
func withSharedStore(cfg *config.Config, readOnly bool, f func(store.Backend) error) error {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, cfg.Store.DSN, pgstore.Options{ReadOnly: readOnly})
	if err != nil {
		return err
	}
	defer st.Close()
	if readOnly {
		return f(st)
	}
	// A lease left by an ampd that died expires within lease_ttl: wait that long, no longer.
	wait, cancel := context.WithTimeout(ctx, cfg.Store.LeaseTTL+time.Second)
	defer cancel()
	lease, err := st.Acquire(wait, pgstore.NewHolderID(), cfg.Store.LeaseTTL, nil)
	if err != nil {
		return fmt.Errorf("held: an ampd is active on %s (it holds the store's lease): stop every ampd of this store first", st.Path())
	}
	defer lease.Release(ctx)
	return f(st)
}

// activeDaemon answers the HTTP probes: a standby is healthy but not ready until it holds the
// store's lease and runs its daemon.
type activeDaemon struct{ atomic.Pointer[daemon.Daemon] }

func (a *activeDaemon) Ready() error {
	if d := a.Load(); d != nil {
		return d.Ready()
	}
	return errors.New("standby: waiting for the store's lease")
}

// Healthy reports whether the process works; it does as long as it runs, standby or not.
func (a *activeDaemon) Healthy() error { return nil }

// standbyStopped turns a stop (SIGTERM) of a standby that was waiting for the lease into a
// clean exit.
func standbyStopped(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
