package store

// Backend is a store of held messages: the embedded file (Store) or a PostgreSQL database
// (package store/pgstore). Both give the same guarantees, checked by one test suite
// (store/storetest): a write returns only once it is durable, IDs grow and are never reused,
// and a batch (Apply, PutAll) is written whole or not at all.
type Backend interface {
	// Put stores a new record, assigns it the next ID (r.ID is set) and returns once the
	// record is durable.
	Put(r *Record) error
	// PutAll stores new records in one transaction, assigning their IDs in order.
	PutAll(rs []*Record) error
	// Update replaces the stored record r.ID with r; ErrNotFound if there is none.
	Update(r *Record) error
	// Delete removes record id; ErrNotFound if there is none.
	Delete(id uint64) error
	// Apply writes updates and deletes in one transaction; if a record is missing nothing is
	// written and the error matches ErrNotFound.
	Apply(updates []*Record, deletes []uint64) error
	// Get returns record id; ErrNotFound if there is none.
	Get(id uint64) (Record, error)
	// Len returns the number of records.
	Len() (int, error)
	// ForEach calls f for every record in ID order, stopping at f's first error.
	ForEach(f func(Record) error) error
	// Path says where the store is, for logs and errors (never a password).
	Path() string
	Close() error
}

var _ Backend = (*Store)(nil)
