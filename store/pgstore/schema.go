package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations[i] brings the schema from version i to version i+1. Append only: a released
// migration never changes, since databases out there have run it.
var migrations = []string{
	// 1: held messages, their ID sequence, the lease.
	`CREATE SEQUENCE ampd_held_id_seq AS bigint MINVALUE 1 NO CYCLE;
	CREATE TABLE ampd_held (
		id        bigint PRIMARY KEY,
		recipient text   NOT NULL,
		state     text   NOT NULL,
		record    bytea  NOT NULL -- store.AppendRecord's encoding, checksummed
	);
	CREATE TABLE ampd_lease (
		name        text        PRIMARY KEY,
		holder      text        NOT NULL,
		acquired_at timestamptz NOT NULL,
		expires_at  timestamptz NOT NULL
	);`,
}

// SchemaVersion is the schema this binary writes.
var SchemaVersion = len(migrations)

// migrationLock serialises migrations of ampds starting together on one database
// (pg_advisory_xact_lock key: "ampd" in ASCII).
const migrationLock = 0x616d7064

// SchemaTooNewError is returned by Open for a database migrated by a newer ampd.
type SchemaTooNewError struct {
	Database     string
	Found, Known int
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("pgstore: the database %s has schema version %d, newer than this ampd knows (%d): a newer ampd has used it; run that version (or newer) of ampd, or point store.dsn at another database",
		e.Database, e.Found, e.Known)
}

// migrate creates or upgrades the schema in one transaction, under a lock, so that two ampds
// starting together do not both migrate.
func migrate(ctx context.Context, conn pgx.Tx, database string) error {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS ampd_schema (version integer NOT NULL)"); err != nil {
		return err
	}
	var version int
	err := conn.QueryRow(ctx, "SELECT version FROM ampd_schema").Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = conn.Exec(ctx, "INSERT INTO ampd_schema (version) VALUES (0)")
	}
	if err != nil {
		return err
	}
	if version > SchemaVersion {
		return &SchemaTooNewError{Database: database, Found: version, Known: SchemaVersion}
	}
	for v := version; v < SchemaVersion; v++ {
		if _, err := conn.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("pgstore: migrating the schema to version %d: %w", v+1, err)
		}
	}
	if version < SchemaVersion {
		_, err = conn.Exec(ctx, "UPDATE ampd_schema SET version = $1", SchemaVersion)
	}
	return err
}

// checkSchema is migrate for a read-only opening: it changes nothing and refuses a schema that
// is missing, older or newer.
// ErrNoSchema is returned by a read-only Open of a database where ampd has not created its
// tables yet.
var ErrNoSchema = errors.New("pgstore: no held-message store")

func checkSchema(ctx context.Context, conn pgx.Tx, database string) error {
	var version int
	err := conn.QueryRow(ctx, "SELECT version FROM ampd_schema").Scan(&version)
	if err != nil {
		return fmt.Errorf("%w in %s (%v): ampd has not run with this store.dsn yet, so nothing is held", ErrNoSchema, database, err)
	}
	switch {
	case version > SchemaVersion:
		return &SchemaTooNewError{Database: database, Found: version, Known: SchemaVersion}
	case version < SchemaVersion:
		return fmt.Errorf("pgstore: the database %s has schema version %d, older than this ampd's %d: start ampd run once to migrate it", database, version, SchemaVersion)
	}
	return nil
}
