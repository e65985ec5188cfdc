// Package pgstore keeps held messages in PostgreSQL, for an active ampd and its standbys on
// the same database (docs/DEPLOYMENT.md). It gives the guarantees of the embedded store
// (store.Backend, checked by the same suite, store/storetest): every write is one transaction,
// committed with synchronous_commit on, so a verdict or re-inject that depends on it goes out
// only once the database has it on disk; IDs come from a sequence and are never reused.
//
// Only the holder of the store's lease (Lease) writes: once Acquire has returned, every
// write first checks, in its own transaction and under a row lock, that this ampd still holds
// an unexpired lease, so an ampd that lost it cannot change the store behind its successor.
//
// The schema is created and migrated by Open (schema.go); a database whose schema is newer
// than this binary knows is refused with what to do.
package pgstore
