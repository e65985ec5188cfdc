package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ampd-xmpp/ampd/store"
)

// DefaultTimeout bounds each operation on the database.
const DefaultTimeout = 10 * time.Second

// Options tune Open.
type Options struct {
	// ReadOnly opens the store for reading (ampd held list/show): nothing is migrated and
	// every transaction is read-only.
	ReadOnly bool
	// Timeout bounds each operation; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Store is a PostgreSQL store of held messages. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	desc string // the database without its password, for logs and errors
	opts Options
	// holder is the lease every write checks, once Acquire has returned; fenced is set when
	// the lease is lost, so that writes fail at once.
	holder atomic.Pointer[string]
	fenced atomic.Bool
	// fence is the context of every write: cancelled when the lease is lost, so that a write
	// blocked on the database then ends at once instead of answering after the fence.
	fence   context.Context
	unfence context.CancelFunc
}

var _ store.Backend = (*Store)(nil)

// Open connects to the database named by dsn (config store.dsn), checks that commits are
// durable, and creates or migrates the schema (or, read-only, checks it). Every error says
// what to do.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: store.dsn: %v; write a PostgreSQL connection string such as \"postgres://ampd@db.example.org/ampd\"", err)
	}
	if opts.ReadOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cfg.MaxConns = 4
	c := cfg.ConnConfig
	s := &Store{opts: opts, desc: fmt.Sprintf("postgres://%s@%s/%s", c.User, hostPort(c.Host, c.Port), c.Database)}
	s.fence, s.unfence = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err == nil {
		err = s.pool.Ping(ctx)
	}
	if err != nil {
		if s.pool != nil {
			s.pool.Close()
		}
		return nil, fmt.Errorf("pgstore: cannot reach the database %s (%v); check that PostgreSQL runs there and that store.dsn names it (host, port, user, database, password)", s.desc, err)
	}
	if err := s.prepare(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

func hostPort(host string, port uint16) string {
	if host != "" && host[0] == '/' {
		return fmt.Sprintf("[%s]:%d", host, port) // a Unix socket directory
	}
	return fmt.Sprintf("%s:%d", host, port)
}

// prepare refuses a database that could lose a commit, and migrates or checks the schema.
func (s *Store) prepare(ctx context.Context) error {
	var sync string
	if err := s.pool.QueryRow(ctx, "SELECT current_setting('synchronous_commit')").Scan(&sync); err != nil {
		return fmt.Errorf("pgstore: %s: %w", s.desc, err)
	}
	if sync == "off" {
		return fmt.Errorf("pgstore: the database %s has synchronous_commit = off, so a held message ampd was told is stored could be lost in a crash; set it on for ampd's role (ALTER ROLE … SET synchronous_commit = on)", s.desc)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if s.opts.ReadOnly {
			return checkSchema(ctx, tx, s.desc)
		}
		return migrate(ctx, tx, s.desc)
	})
	var tooNew *SchemaTooNewError
	if err != nil && !errors.As(err, &tooNew) {
		return fmt.Errorf("pgstore: preparing the schema in %s: %w", s.desc, err)
	}
	return err
}

// Path names the database (without password), for logs.
func (s *Store) Path() string { return s.desc }

// Close closes the connections. A lease is not released by Close: see Lease.Release.
func (s *Store) Close() error {
	s.unfence()
	s.pool.Close()
	return nil
}

func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opts.Timeout)
}

// write runs f in a transaction that commits only if this ampd still holds its lease (once
// Acquire has returned): the lease row is locked for share, so a takeover waits for the commit
// and no write of an ampd that lost its lease can land after it.
func (s *Store) write(f func(ctx context.Context, tx pgx.Tx) error) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("pgstore: %s is open read-only", s.desc)
	}
	if s.fenced.Load() {
		return ErrLeaseLost
	}
	ctx, cancel := context.WithTimeout(s.fence, s.opts.Timeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if h := s.holder.Load(); h != nil {
			var held bool
			err := tx.QueryRow(ctx, "SELECT true FROM ampd_lease WHERE name = $1 AND holder = $2 AND expires_at > now() FOR SHARE", leaseName, *h).Scan(&held)
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrLeaseLost
			}
			if err != nil {
				return err
			}
		}
		return f(ctx, tx)
	})
	if s.fenced.Load() && err != nil {
		return ErrLeaseLost // cut short by the fence
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, ErrLeaseLost) {
		return fmt.Errorf("pgstore: write to %s: %w", s.desc, err)
	}
	return err
}

const insertHeld = "INSERT INTO ampd_held (id, recipient, state, record) VALUES (nextval('ampd_held_id_seq'), $1, $2, $3) RETURNING id"

// Put stores a new record and sets r.ID once it is committed.
func (s *Store) Put(r *store.Record) error {
	var id int64
	err := s.write(func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, insertHeld, r.Recipient, r.State.String(), store.AppendRecord(nil, r)).Scan(&id)
	})
	if err == nil {
		r.ID = uint64(id)
	}
	return err
}

// PutAll stores new records in one transaction; their IDs follow their order.
func (s *Store) PutAll(rs []*store.Record) error {
	ids := make([]int64, len(rs))
	err := s.write(func(ctx context.Context, tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rs {
			b.Queue(insertHeld, r.Recipient, r.State.String(), store.AppendRecord(nil, r))
		}
		br := tx.SendBatch(ctx, b)
		for i := range rs {
			if err := br.QueryRow().Scan(&ids[i]); err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
	if err == nil {
		for i, r := range rs {
			r.ID = uint64(ids[i])
		}
	}
	return err
}

// Update replaces record r.ID; ErrNotFound if there is none.
func (s *Store) Update(r *store.Record) error { return s.Apply([]*store.Record{r}, nil) }

// Delete removes record id; ErrNotFound if there is none.
func (s *Store) Delete(id uint64) error { return s.Apply(nil, []uint64{id}) }

// Apply writes updates and deletes in one transaction; a missing record writes nothing.
func (s *Store) Apply(updates []*store.Record, deletes []uint64) error {
	if len(updates) == 0 && len(deletes) == 0 {
		return nil
	}
	return s.write(func(ctx context.Context, tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range updates {
			b.Queue("UPDATE ampd_held SET recipient = $2, state = $3, record = $4 WHERE id = $1",
				int64(r.ID), r.Recipient, r.State.String(), store.AppendRecord(nil, r))
		}
		for _, id := range deletes {
			b.Queue("DELETE FROM ampd_held WHERE id = $1", int64(id))
		}
		br := tx.SendBatch(ctx, b)
		for i := range len(updates) + len(deletes) {
			tag, err := br.Exec()
			if err == nil && tag.RowsAffected() != 1 {
				id := uint64(0)
				if i < len(updates) {
					id = updates[i].ID
				} else {
					id = deletes[i-len(updates)]
				}
				err = fmt.Errorf("%w: %d", store.ErrNotFound, id)
			}
			if err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
}

// Get returns record id; ErrNotFound if there is none.
func (s *Store) Get(id uint64) (store.Record, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var b []byte
	err := s.pool.QueryRow(ctx, "SELECT record FROM ampd_held WHERE id = $1", int64(id)).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, store.ErrNotFound
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("pgstore: read from %s: %w", s.desc, err)
	}
	return s.decode(id, b)
}

// decode turns a damaged record into an error that names it and what to do.
func (s *Store) decode(id uint64, b []byte) (store.Record, error) {
	r, err := store.DecodeRecord(id, b)
	if err != nil {
		return r, fmt.Errorf("pgstore: %s, ampd_held id %d: %w; inspect it, then remove it with DELETE FROM ampd_held WHERE id = %d (it cannot be released)", s.desc, id, err, id)
	}
	return r, nil
}

// Len returns the number of records.
func (s *Store) Len() (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM ampd_held").Scan(&n); err != nil {
		return 0, fmt.Errorf("pgstore: read from %s: %w", s.desc, err)
	}
	return n, nil
}

// ForEach calls f for every record in ID order, stopping at f's first error or at a record
// that cannot be decoded. The walk is one query (one snapshot), bounded by 30 times
// Options.Timeout: loading a large store takes longer than one write.
func (s *Store) ForEach(f func(store.Record) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*s.opts.Timeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT id, record FROM ampd_held ORDER BY id")
	if err != nil {
		return fmt.Errorf("pgstore: read from %s: %w", s.desc, err)
	}
	defer rows.Close()
	var id int64
	var b []byte
	for rows.Next() {
		if err := rows.Scan(&id, &b); err != nil {
			return fmt.Errorf("pgstore: read from %s: %w", s.desc, err)
		}
		r, err := s.decode(uint64(id), b)
		if err != nil {
			return err
		}
		if err := f(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgstore: read from %s: %w", s.desc, err)
	}
	return nil
}
