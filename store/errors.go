package store

import (
	"errors"
	"fmt"
)

// ErrLocked is returned by Open when another process (normally a running ampd) holds the
// store file.
var ErrLocked = errors.New("store: file is in use by another process")

// ErrNotFound is returned for an ID that the store does not hold.
var ErrNotFound = errors.New("store: no such held message")

// RecoverCommand is the documented command that salvages a corrupt store (see Recover).
const RecoverCommand = "ampd held recover --config FILE"

// CorruptError is returned by Open for a store file that cannot be read. Held messages are
// never discarded silently: the operator runs RecoverCommand, which salvages every readable
// record into a new file and moves the bad one aside.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store: %s is damaged (%v); stop ampd and run %q to salvage the readable held messages into a new file (the damaged one is kept aside)",
		e.Path, e.Err, RecoverCommand)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// LockedError names the file of an ErrLocked failure and says what to do.
type LockedError struct{ Path string }

func (e *LockedError) Error() string {
	return fmt.Sprintf("store: %s is in use by another process: stop ampd first (only one ampd may use a store)", e.Path)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }
