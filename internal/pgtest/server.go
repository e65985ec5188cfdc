package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
)

// startTimeout bounds initdb and each start of the server.
const startTimeout = 60 * time.Second

// Server is one PostgreSQL server in a temporary directory, reachable at 127.0.0.1:Port with
// trust authentication as the user "postgres".
type Server struct {
	Port int
	dir  string // owned by the postgres user: data/, the log and the socket
	bin  string
	cred *syscall.Credential // the postgres user's, when the tests run as root
	dbs  atomic.Int64
}

// Start initialises and starts a server on a free loopback port. The caller stops it with
// Close.
func Start(ctx context.Context) (*Server, error) {
	if err := EnsureInstalled(ctx, os.Stderr); err != nil {
		return nil, err
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	port, err := sandboxproc.FreePort()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir(): its parent is private to root, and initdb refuses to run as root, so the
	// postgres user needs a directory it can reach.
	dir, err := os.MkdirTemp("", "ampd-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{Port: port, dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if s.cred, err = postgresUser(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := s.run(ctx, "initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.Start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// StartT starts a server for the test and closes it when the test ends; the server's log is
// shown if the test failed.
func StartT(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real PostgreSQL server; skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postgresql log tail:\n%s", s.LogTail(40))
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w; the postgresql package creates this user (scripts/install-postgresql.sh)", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) data() string    { return filepath.Join(s.dir, "data") }
func (s *Server) logPath() string { return filepath.Join(s.dir, "postgresql.log") }

// run runs one of the server binaries as the postgres user.
func (s *Server) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: %s: %v\n%s", name, err, out)
	}
	return nil
}

// Start starts the server (again), on its port, and waits until it accepts connections.
func (s *Server) Start(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=on -c synchronous_commit=on", s.Port, s.dir)
	return s.run(ctx, "pg_ctl", "start", "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)), "-D", s.data(), "-l", s.logPath(), "-o", opts)
}

// Stop stops the server at once (pg_ctl's immediate mode: connections are cut, as when the
// database machine is lost); its data stays for Start.
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return s.run(ctx, "pg_ctl", "stop", "-w", "-m", "immediate", "-D", s.data())
}

// Close stops the server if it runs and removes its directory.
func (s *Server) Close() error {
	var err error
	if _, serr := os.Stat(filepath.Join(s.data(), "postmaster.pid")); serr == nil {
		err = s.Stop()
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

// DSN is the connection string of database db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDatabase creates an empty database for the test and returns its DSN.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", s.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return s.DSN(name)
}

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string { return sandboxproc.Tail(s.logPath(), n) }
