// Package store is ampd's durable store of held messages (amp-semantics §7): the Record and
// its encoding, the Backend every store implements, and the embedded backend, one bbolt file
// in which every write is a committed, fsync'd transaction. The PostgreSQL backend, shared by
// an active ampd and its standbys, is package store/pgstore.
//
// A held message is a Record. Its State says where it is in its life:
//
//	Held ──(release decided)──▶ Releasing ──(sent)──▶ deleted
//	Held ──(expire-at rule i met)──▶ Expiring(i) ──(sent)──▶ deleted (drop/alert/error)
//	                                             └──────▶ Held, rule i in Fired (notify)
//
// A pending state (Releasing, Expiring) is written before anything leaves ampd, so a crash
// at any point leaves a record from which the same outgoing stanza can be rebuilt and sent
// again; the package held drives these transitions.
//
// A store that cannot be read is never opened half-way: Open refuses it with a
// *CorruptError naming the file and the recovery command (Recover), and a store held by
// another process is refused with ErrLocked after a short timeout instead of hanging.
package store
