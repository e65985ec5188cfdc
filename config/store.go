package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// MinLeaseTTL is the shortest store.lease_ttl: the lease is renewed several times per TTL, and
// a shorter one would turn a slow query into a failover.
const MinLeaseTTL = time.Second

func (s *Store) validate(add func(error)) {
	add(oneOf("store.backend", s.Backend, BackendEmbedded, BackendPostgres))
	switch s.Backend {
	case BackendEmbedded:
		add(nonEmpty("store.path", s.Path, "the file where held messages are kept"))
		if s.DSN != "" || s.DSNFile != "" {
			add(errors.New(`config: store.dsn and store.dsn_file are for store.backend = "postgres"; remove them, or set store.backend = "postgres"`))
		}
	case BackendPostgres:
		switch {
		case s.DSN == "" && s.DSNFile == "":
			add(errors.New(`config: store.dsn is required with store.backend = "postgres"; set it, or store.dsn_file, to a PostgreSQL connection string such as "postgres://ampd@db.example.org/ampd"`))
		case s.DSN != "" && s.DSNFile != "":
			add(errors.New("config: store.dsn and store.dsn_file are both set; keep exactly one of them"))
		case s.DSN != "":
			add(checkDSN("store.dsn", s.DSN))
		}
		if s.LeaseTTL < MinLeaseTTL {
			add(fmt.Errorf("config: store.lease_ttl: %s is too short; set it to at least %s", s.LeaseTTL, MinLeaseTTL))
		}
	}
}

// readDSN loads store.dsn_file into DSN and checks it. Keeping the DSN (and its password) out
// of the main file lets the configuration be world-readable and the password not.
func (s *Store) readDSN() error {
	if s.Backend != BackendPostgres || s.DSNFile == "" {
		return nil
	}
	data, err := os.ReadFile(s.DSNFile)
	if err != nil {
		return fmt.Errorf("config: store.dsn_file: %w; point it at a readable file holding the PostgreSQL connection string", err)
	}
	dsn := strings.TrimSpace(string(data))
	if dsn == "" {
		return fmt.Errorf("config: store.dsn_file: %q is empty; write the PostgreSQL connection string into it", s.DSNFile)
	}
	if err := checkDSN("store.dsn_file", dsn); err != nil {
		return err
	}
	s.DSN = dsn
	return nil
}

// checkDSN parses a connection string the way the store will. The error names the key and
// never the password (pgconn redacts it).
func checkDSN(key, dsn string) error {
	if _, err := pgconn.ParseConfig(dsn); err != nil {
		return fmt.Errorf("config: %s: %v; write a PostgreSQL connection string such as \"postgres://ampd@db.example.org/ampd\" or \"host=db.example.org user=ampd dbname=ampd\"", key, err)
	}
	return nil
}
