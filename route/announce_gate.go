package route

import (
	"log/slog"
	"slices"
	"sync"
	"time"
)

// AnnounceGate decides when ampd announces itself (§4) for each host after a connect.
//
// An announce makes the module divert again every request it retained, and a re-diverted
// request may need the recipient's roster at once. A server that has not yet recorded
// ampd's XEP-0356 permissions refuses that roster read (seen on ejabberd 23.01, whose
// component connection is announced to ampd before the grant is stored), and the request
// would be answered invalid-rules. So each host is announced once its privilege
// announcement has arrived — the servers send it as they record the grant (PROTOCOL.md §4)
// — or, for a host that sends none (privileged_entities not configured), after a wait, so
// that ampd still serves that host with what it can see.
type AnnounceGate struct {
	hosts    []string
	wait     time.Duration
	log      *slog.Logger
	announce func(host string)

	mu    sync.Mutex
	up    bool            // connected
	conn  uint64          // the connection; a timer of an earlier one does nothing
	open  map[string]bool // hosts announced on this connection
	timer *time.Timer
}

// PrivilegeWait is how long after a connect ampd waits for a host's privilege announcement
// before announcing that host anyway. The servers send it within milliseconds of the
// handshake; the module keeps new requests meanwhile (its down grace).
const PrivilegeWait = 5 * time.Second

// NewAnnounceGate returns a gate for hosts; announce sends the announce for one host. It is
// called with the gate's lock held (so announces keep their order), once per host and
// connection and again on Reannounce.
func NewAnnounceGate(hosts []string, wait time.Duration, log *slog.Logger, announce func(host string)) *AnnounceGate {
	return &AnnounceGate{hosts: slices.Clone(hosts), wait: wait, log: log, announce: announce, open: map[string]bool{}}
}

// Connected starts a connection: no host is announced until its privilege arrives or the
// wait runs out.
func (g *AnnounceGate) Connected() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopLocked()
	g.up = true
	g.conn++
	clear(g.open)
	conn := g.conn
	g.timer = time.AfterFunc(g.wait, func() { g.waited(conn) })
}

// Disconnected ends the connection: nothing more is announced on it.
func (g *AnnounceGate) Disconnected() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopLocked()
	g.up = false
	g.conn++
	clear(g.open)
}

// Privileged announces host, if it is served and not yet announced on this connection.
func (g *AnnounceGate) Privileged(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.up && slices.Contains(g.hosts, host) {
		g.openLocked(host, false)
	}
}

// Reannounce announces again the hosts announced on this connection (after a reload of the
// features); the others follow their privilege or the wait.
func (g *AnnounceGate) Reannounce() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, h := range g.hosts {
		if g.open[h] {
			g.announce(h)
		}
	}
}

// Announced returns the hosts announced on this connection, in configuration order.
func (g *AnnounceGate) Announced() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, h := range g.hosts {
		if g.open[h] {
			out = append(out, h)
		}
	}
	return out
}

func (g *AnnounceGate) waited(conn uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if conn != g.conn {
		return
	}
	for _, h := range g.hosts {
		g.openLocked(h, true)
	}
}

func (g *AnnounceGate) openLocked(host string, late bool) {
	if g.open[host] {
		return
	}
	g.open[host] = true
	if late {
		g.log.Warn("no XEP-0356 privilege announcement from the server; announcing ampd without it, but ampd cannot see presence or read rosters there: grant the component presence and roster permissions (privileged_entities)", "host", host, "waited", g.wait)
	}
	g.announce(host)
}

func (g *AnnounceGate) stopLocked() {
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
}
