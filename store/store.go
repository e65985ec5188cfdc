package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultLockTimeout is how long Open waits for another process to release the file.
const DefaultLockTimeout = time.Second

var bucketHeld = []byte("held")

// Options tune Open.
type Options struct {
	// ReadOnly opens the file with a shared lock and refuses writes (ampd held list/show).
	ReadOnly bool
	// LockTimeout bounds the wait for the file lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// UnsafeNoSync skips the fsync of each commit. For tests and benchmarks only: ampd never
	// sets it, since a crash could then lose a held message.
	UnsafeNoSync bool
}

// Store is an open store file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (creating it if needed, unless read-only) the store file at path and checks
// that every record in it can be read. A damaged file yields a *CorruptError, a file held by
// another process an error matching ErrLocked.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path}
	if !opts.ReadOnly {
		err = s.update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(bucketHeld)
			return err
		})
	}
	if err == nil {
		err = s.verify()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openBolt(path string, opts Options) (db *bolt.DB, err error) {
	if opts.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("store: no held-message store at %s: ampd has not run with this store.path yet, so nothing is held", path)
		} else if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(path, &err)
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  opts.LockTimeout,
		ReadOnly: opts.ReadOnly,
		// Without UnsafeNoSync a commit returns only once the file is fsync'd.
		NoSync: opts.UnsafeNoSync,
	})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &LockedError{Path: path}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch):
		return nil, &CorruptError{Path: path, Err: err}
	case err != nil:
		// bbolt reports a truncated or foreign file with errors it does not export.
		if fi, serr := os.Stat(path); serr == nil && fi.Size() > 0 && !os.IsPermission(err) {
			return nil, &CorruptError{Path: path, Err: err}
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

// guard turns a panic or memory fault inside bbolt (which it raises on damaged pages) into
// a *CorruptError for path.
func guard(path string, err *error) {
	if p := recover(); p != nil {
		*err = &CorruptError{Path: path, Err: fmt.Errorf("reading pages failed: %v", p)}
	}
}

// verify reads every record once, so that damage is found at start-up and not while a
// message is being released.
func (s *Store) verify() error {
	return s.ForEach(func(Record) error { return nil })
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Put stores a new record, assigns it the next ID (r.ID is set) and returns once the record
// is on disk.
func (s *Store) Put(r *Record) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(key(id), AppendRecord(nil, r)); err != nil {
			return err
		}
		r.ID = id
		return nil
	})
}

// Update replaces the stored record r.ID with r; ErrNotFound if there is none.
func (s *Store) Update(r *Record) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		if b.Get(key(r.ID)) == nil {
			return ErrNotFound
		}
		return b.Put(key(r.ID), AppendRecord(nil, r))
	})
}

// Delete removes record id; ErrNotFound if there is none.
func (s *Store) Delete(id uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		if b.Get(key(id)) == nil {
			return ErrNotFound
		}
		return b.Delete(key(id))
	})
}

// Get returns record id; ErrNotFound if there is none.
func (s *Store) Get(id uint64) (r Record, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		if b == nil {
			return ErrNotFound
		}
		v := b.Get(key(id))
		if v == nil {
			return ErrNotFound
		}
		r, err = DecodeRecord(id, v)
		return err
	})
	return r, err
}

// Len returns the number of records.
func (s *Store) Len() (n int, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketHeld); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// ForEach calls f for every record in ID order, stopping at f's first error. A record that
// cannot be decoded stops it with a *CorruptError.
func (s *Store) ForEach(f func(Record) error) error {
	return s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return &CorruptError{Path: s.path, Err: fmt.Errorf("key of %d bytes", len(k))}
			}
			r, err := DecodeRecord(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return &CorruptError{Path: s.path, Err: err}
			}
			return f(r)
		})
	})
}

// view and update run a bbolt transaction with damage turned into a *CorruptError.
func (s *Store) view(f func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(s.path, &err)
	return s.db.View(f)
}

func (s *Store) update(f func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(s.path, &err)
	if err := s.db.Update(f); err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		var ce *CorruptError
		if errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("store: write to %s: %w", s.path, err)
	}
	return nil
}

func key(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// Apply writes updates and deletes in one transaction, so that many transitions cost one
// fsync (group commit). Every record must exist; otherwise nothing is written and the error
// matches ErrNotFound.
func (s *Store) Apply(updates []*Record, deletes []uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		for _, r := range updates {
			if b.Get(key(r.ID)) == nil {
				return fmt.Errorf("%w: %d", ErrNotFound, r.ID)
			}
			// bbolt keeps the value until the commit: every record gets its own buffer.
			if err := b.Put(key(r.ID), AppendRecord(nil, r)); err != nil {
				return err
			}
		}
		for _, id := range deletes {
			if b.Get(key(id)) == nil {
				return fmt.Errorf("%w: %d", ErrNotFound, id)
			}
			if err := b.Delete(key(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutAll stores new records in one transaction, assigning their IDs in order (for bulk
// loads such as benchmarks and imports).
func (s *Store) PutAll(rs []*Record) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		for _, r := range rs {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(key(id), AppendRecord(nil, r)); err != nil {
				return err
			}
			r.ID = id
		}
		return nil
	})
}
