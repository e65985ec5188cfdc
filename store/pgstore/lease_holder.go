package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// LeaseHolder reads the store's lease without taking it: who holds it and for how much
// longer, by the database's clock. held is false when nobody holds it or it has expired (a
// standby or a restarted ampd may then take it).
func (s *Store) LeaseHolder(ctx context.Context) (holder string, left time.Duration, held bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	var micros int64
	err = s.pool.QueryRow(ctx, `SELECT holder, GREATEST(0, (EXTRACT(EPOCH FROM expires_at - now()) * 1000000)::bigint)
		FROM ampd_lease WHERE name = $1`, leaseName).Scan(&holder, &micros)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, err
	}
	left = time.Duration(micros) * time.Microsecond
	return holder, left, left > 0, nil
}
