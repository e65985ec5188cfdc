package held

import (
	"context"
	"testing"

	"pgregory.net/rapid"

	"github.com/ampd-xmpp/ampd/internal/pgtest"
	"github.com/ampd-xmpp/ampd/store"
	"github.com/ampd-xmpp/ampd/store/pgstore"
)

// TestPropertyExactlyOncePostgres runs the exactly-once property on the PostgreSQL store, a
// fresh database per run: the manager's guarantees do not depend on the backend.
func TestPropertyExactlyOncePostgres(t *testing.T) {
	srv := pgtest.StartT(t)
	checkPropertyExactlyOnce(t, func(rt *rapid.T) *fixture {
		dsn := srv.NewDatabase(t)
		return &fixture{t: rt, clk: newFakeClock(t0), act: &recorder{}, openStore: func() (store.Backend, error) {
			return pgstore.Open(context.Background(), dsn, pgstore.Options{})
		}}
	})
}
