package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// pairMember is one ampd of an active/standby pair on a PostgreSQL store, run from the built
// binary. It is started without waiting for it to be ready: a standby is not.
type pairMember struct {
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	http    string
	logPath string
	exited  chan struct{}
	exitAt  time.Time // when the process ended, as seen by the test
}

// writePairConfig writes e's configuration for one ampd of the pair: the usual one with the
// postgres backend and the lease TTL.
func (e *env) writePairConfig(dir, dsn string, ttl time.Duration) (path, httpAddr string) {
	e.t.Helper()
	must(e.t, os.MkdirAll(dir, 0o700))
	return e.writeConfig(dir, func(c *config.Config) {
		c.Store.Backend, c.Store.DSN, c.Store.LeaseTTL = config.BackendPostgres, dsn, ttl
	})
}

// startPair starts ampd "a" and waits until it is the active one, then ampd "b" and waits
// until it has logged that it is the standby.
func (e *env) startPair(dsn string, ttl time.Duration) (a, b *pairMember) {
	e.t.Helper()
	a = e.startPairMember("a", dsn, ttl)
	e.eventually("ampd a active", a.ready)
	b = e.startPairMember("b", dsn, ttl)
	e.eventually("ampd b a standby", func() error {
		if !strings.Contains(b.log(), "standby: another ampd holds the store's lease") {
			return fmt.Errorf("b has not logged that it is a standby")
		}
		return nil
	})
	return a, b
}

func (e *env) startPairMember(name, dsn string, ttl time.Duration) *pairMember {
	e.t.Helper()
	dir := filepath.Join(e.t.TempDir(), name)
	cfgPath, httpAddr := e.writePairConfig(dir, dsn, ttl)
	m := &pairMember{t: e.t, name: name, http: httpAddr, logPath: filepath.Join(dir, "ampd.log"), exited: make(chan struct{})}
	logf, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	must(e.t, err)
	defer logf.Close()
	m.cmd = exec.Command(ampdBinary(e.t), "run", "--config", cfgPath)
	m.cmd.Stdout, m.cmd.Stderr = logf, logf
	must(e.t, m.cmd.Start())
	go func() {
		m.cmd.Wait()
		m.exitAt = time.Now()
		close(m.exited)
	}()
	e.t.Cleanup(m.stop)
	return m
}

// ready reports whether the member is the active ampd, connected and serving (a standby
// serves no HTTP until it holds the lease).
func (m *pairMember) ready() error {
	resp, err := http.Get("http://" + m.http + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s readyz: %s", m.name, resp.Status)
	}
	// A standby answers 503 with its reason; the active one 200.
	return nil
}

func (m *pairMember) process() *process { return &process{t: m.t, http: m.http} }

func (m *pairMember) running() bool {
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

func (m *pairMember) kill9() {
	m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.exited
}

func (m *pairMember) stop() {
	if m.running() {
		m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
			m.cmd.Process.Kill()
			<-m.exited
		}
	}
	if m.t.Failed() {
		m.t.Logf("ampd %s log tail:\n%s", m.name, logTail(m.logPath, 30))
	}
}

func (m *pairMember) log() string {
	b, _ := os.ReadFile(m.logPath)
	return string(b)
}

func logTail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// firstAfter records when the sender first heard a notify for a message sent after a mark:
// the first verdict of the ampd that took over.
type firstAfter struct {
	mu    sync.Mutex
	after map[string]bool // ids sent after the mark
	at    time.Time
	// firstAlert and lastAlert bound when the alerts of expired held messages arrived.
	firstAlert, lastAlert time.Time
}

func (f *firstAfter) sentAfter(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.after[id] = true
}

func (f *firstAfter) classify(s c2stest.Stanza) (string, string) {
	kind, id := senderKinds(s)
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case kind == "notify" && f.after[id] && f.at.IsZero():
		f.at = now
	case kind == "alert":
		if f.firstAlert.IsZero() {
			f.firstAlert = now
		}
		f.lastAlert = now
	}
	return kind, id
}

// checkDiverts checks that every plain request (notify on deliver direct) was answered
// exactly once: delivered with its notification, or bounced with service-unavailable while
// no ampd was connected.
func checkDiverts(t *testing.T, ids []string, s, r map[string]map[string]int) (delivered, bounced int) {
	t.Helper()
	for _, id := range ids {
		notify, unavail, body := s["notify"][id], s["unavailable"][id], r["body"][id]
		switch {
		case notify == 1 && body == 1 && unavail == 0:
			delivered++
		case unavail == 1 && notify == 0 && body == 0:
			bounced++
		default:
			t.Errorf("%s: notify %d, delivered %d, service-unavailable %d, other errors %d: want exactly one outcome", id, notify, body, unavail, s["other error"][id])
		}
	}
	return delivered, bounced
}

// logTime returns the time of the first line of an ampd log (slog's text format) containing
// what.
func logTime(log, what string) (time.Time, bool) {
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, what) || !strings.HasPrefix(line, "time=") {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, stamp)
		return at, err == nil
	}
	return time.Time{}, false
}
