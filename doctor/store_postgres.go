package doctor

import (
	"context"
	"errors"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/store/pgstore"
)

// checkPostgresStore checks a PostgreSQL store (read-only: nothing is created or migrated)
// and reports whether an ampd is active on it, i.e. holds its lease: doctor then does not
// connect to the server.
func checkPostgresStore(ctx context.Context, r *Report, cfg *config.Config) (active bool) {
	st, err := pgstore.Open(ctx, cfg.Store.DSN, pgstore.Options{ReadOnly: true})
	switch {
	case errors.Is(err, pgstore.ErrNoSchema):
		r.pass("store", "the database is reachable and ampd has not used it yet; ampd creates its tables at its first start (its role needs the right to create tables there: docs/DEPLOYMENT.md)")
		return false
	case err != nil:
		r.fail("store", "See the error; the store's keys are in docs/CONFIGURATION.md ([store]), the database's set-up in docs/DEPLOYMENT.md.", "%v", err)
		return false
	}
	defer st.Close()
	holder, left, held, err := st.LeaseHolder(ctx)
	if err != nil {
		r.fail("store", "See the error; check the role's rights on the table ampd_lease.", "reading the lease of %s: %v", st.Path(), err)
		return false
	}
	if held {
		r.fail("ampd running", "Stop every ampd of this store while doctor checks the server (systemctl stop ampd on each machine), or set http.listen so that doctor can read the active one's /status.",
			"ampd %s holds the lease of %s (for %s more): doctor does not connect beside it, since its connection would replace that ampd's", holder, st.Path(), left.Round(100*time.Millisecond))
		return true
	}
	n, err := st.Len()
	if err != nil {
		r.fail("store", "See the error.", "reading %s: %v", st.Path(), err)
		return false
	}
	r.pass("store", "%s: %d held messages; no ampd holds its lease", st.Path(), n)
	return false
}
