package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// RecoverResult says what Recover did.
type RecoverResult struct {
	Salvaged   int // records copied into the new file, with their IDs
	Skipped    int // records that could not be decoded (their IDs are in SkippedIDs)
	SkippedIDs []uint64
	// Stopped is set when reading had to stop at a damaged page: records with IDs above
	// LastID could not be reached.
	Stopped error
	LastID  uint64
	Aside   string // where the damaged file now is
}

// recoverBatch is the number of records copied per transaction.
const recoverBatch = 1000

// Recover salvages the readable records of the store file at path into a new file, keeping
// their IDs (so that a resend after recovery is recognisably the same stanza), then moves the
// damaged file aside to path + ".damaged-" + a UTC timestamp and puts the new file in its
// place. Nothing is discarded: the damaged file stays for inspection. progress, if not nil,
// is called with the number of records read so far and an estimate of the total.
//
// It refuses to run while another process holds the file (ErrLocked), and leaves everything
// untouched when the damaged file cannot be opened at all.
func Recover(path string, now time.Time, progress func(done, total int)) (res RecoverResult, err error) {
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: DefaultLockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return res, &LockedError{Path: path}
	}
	if err != nil {
		return res, fmt.Errorf("store: %s cannot be opened at all (%v); it was left untouched", path, err)
	}
	defer src.Close()

	tmp := path + ".recovering"
	os.Remove(tmp) // a leftover of an interrupted recovery holds nothing the damaged file lacks
	dst, err := Open(tmp, Options{})
	if err != nil {
		return res, err
	}
	if err := salvage(src, dst, &res, progress); err != nil {
		dst.Close()
		os.Remove(tmp)
		return res, err
	}
	if err := dst.Close(); err != nil {
		return res, fmt.Errorf("store: close %s: %w", tmp, err)
	}
	res.Aside = path + ".damaged-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(path, res.Aside); err != nil {
		return res, fmt.Errorf("store: move the damaged file aside: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return res, fmt.Errorf("store: put the recovered file in place (it is %s): %w", tmp, err)
	}
	return res, syncDir(filepath.Dir(path))
}

// salvage copies every decodable record of src into dst, in batches.
func salvage(src *bolt.DB, dst *Store, res *RecoverResult, progress func(done, total int)) error {
	total := 0
	_ = readGuarded(src, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketHeld); b != nil {
			total = b.Stats().KeyN
		}
		return nil
	})
	var batch []Record
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := dst.putAll(batch)
		if err == nil {
			res.Salvaged += len(batch)
		}
		batch = batch[:0]
		return err
	}
	done := 0
	res.Stopped = readGuarded(src, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			done++
			if len(k) != 8 {
				res.Skipped++
				continue
			}
			id := binary.BigEndian.Uint64(k)
			res.LastID = id
			r, err := DecodeRecord(id, v)
			if err != nil {
				res.Skipped++
				res.SkippedIDs = append(res.SkippedIDs, id)
				continue
			}
			batch = append(batch, r)
			if len(batch) == recoverBatch {
				if err := flush(); err != nil {
					return err
				}
			}
			if progress != nil {
				progress(done, max(total, done))
			}
		}
		return nil
	})
	if err := flush(); err != nil {
		return err
	}
	var ce *CorruptError
	if res.Stopped != nil && !errors.As(res.Stopped, &ce) {
		return res.Stopped // a failure writing the new file, not damage in the old one
	}
	return nil
}

// putAll stores records keeping their IDs, and moves the ID sequence past them.
func (s *Store) putAll(rs []Record) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeld)
		for i := range rs {
			if err := b.Put(key(rs[i].ID), AppendRecord(nil, &rs[i])); err != nil {
				return err
			}
			if rs[i].ID > b.Sequence() {
				if err := b.SetSequence(rs[i].ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func readGuarded(db *bolt.DB, f func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(db.Path(), &err)
	return db.View(f)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}
