package daemon

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/held"
	"github.com/ampd-xmpp/ampd/iq"
	"github.com/ampd-xmpp/ampd/metrics"
	"github.com/ampd-xmpp/ampd/presence"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/store"
)

// Sender is where the daemon writes stanzas: the component connection in production.
type Sender interface {
	Send(stanza []byte) error
	// SendWait is Send that waits for room while the connection is up (component.Client's).
	SendWait(stanza []byte) error
}

// Daemon is one running ampd.
type Daemon struct {
	log     *slog.Logger
	metrics *metrics.Metrics
	client  *component.Client
	out     Sender
	domain  string   // the component's domain
	hosts   []string // the XMPP hosts served
	now     func() time.Time
	// maxStanza is component.max_stanza_bytes: a divert over it is refused unread.
	maxStanza int

	settings  atomic.Pointer[settings]
	presence  *presence.Table
	held      *held.Manager // messages ampd keeps itself (expire-at while offline)
	reinjects *metrics.ReinjectTracker

	privileged atomic.Bool         // the XEP-0356 presence permission has been announced
	gate       *route.AnnounceGate // announces each host once its permissions are known
	everUp     atomic.Bool

	requests sync.Pool // *request with parse storage, reused from divert to divert

	mu       sync.Mutex // guards what follows: the state of requests being decided
	jids     *presence.Addresses
	messages *metrics.MessageCounters
	answered *route.Answered             // the verdicts sent, to repeat them to a re-divert
	batches  *route.Batches              // verdicts decided and not yet sent
	replyBuf []byte                      // scratch for building replies
	pending  *iq.Pending[*request]       // queries under way and the requests parked on them
	rosters  *iq.Cache[subscribers]      // recipients' rosters (§9)
	hops     *iq.Cache[resolver.NextHop] // disco#info answers of recipient domains (§8 next hop, gateways)
}

// Options are the parts of a Daemon that tests replace.
type Options struct {
	Now func() time.Time // default time.Now
	// Store is an open store of held messages to use instead of the file at store.path (the
	// postgres backend, opened by the caller under its lease). It stays the caller's to close.
	Store store.Backend
}

// New builds a daemon from a validated configuration.
func New(cfg *config.Config, log *slog.Logger, m *metrics.Metrics, opts Options) (*Daemon, error) {
	s, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Daemon{
		log:       log,
		metrics:   m,
		domain:    cfg.Component.Domain,
		hosts:     slices.Clone(cfg.Server.Hosts),
		now:       opts.Now,
		presence:  presence.NewTable(),
		answered:  route.NewAnswered(1 << 16),
		jids:      presence.NewAddresses(1 << 16),
		messages:  m.MessageCounters(),
		maxStanza: cfg.Component.MaxStanzaBytes,
	}
	d.settings.Store(s)
	d.reinjects = m.ReinjectTracker(d.now)
	d.requests.New = func() any { return new(request) }
	d.batches = route.NewBatches(d.domain, d.sendWaiting) // sendWaiting copies
	d.pending = iq.NewPending[*request](d.send, d.lockedFlush)
	d.rosters = iq.NewCache[subscribers]()
	d.hops = iq.NewCache[resolver.NextHop]()
	d.gate = route.NewAnnounceGate(d.hosts, route.PrivilegeWait, log, func(h string) {
		d.send(route.AppendAnnounce(nil, d.domain, h, d.settings.Load().disco))
	})
	d.client = component.New(cfg.Component.Client(log.With("layer", "component")), handler{d})
	d.out = d.client
	if err := d.openHeld(cfg.Store.Path, opts.Store); err != nil {
		return nil, err
	}
	m.ConfigLastReloadSuccessful.Set(1)
	m.ConfigLastReloadSuccess.SetToCurrentTime()
	m.ResetHosts(d.hosts)
	return d, nil
}

// Run connects to the server and processes stanzas until ctx is done.
func (d *Daemon) Run(ctx context.Context) error {
	err := d.client.Run(ctx)
	d.mu.Lock()
	d.pending.Stop() // parked requests are left to the server module, which diverts them again
	d.mu.Unlock()
	if err := d.held.Close(); err != nil {
		d.log.Error("closing the held-message store", "err", err)
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Ready reports whether ampd can process AMP requests: connected, with presence permission.
func (d *Daemon) Ready() error {
	switch {
	case !d.client.Connected():
		return errors.New("component not connected")
	case !d.privileged.Load():
		return errors.New("waiting for the XEP-0356 privilege announcement (check privileged_entities on the server)")
	}
	return nil
}

// Reload swaps in the reloadable part of a new configuration and re-announces the features.
// The caller has validated cfg; on error nothing changed.
func (d *Daemon) Reload(cfg *config.Config) error {
	s, err := newSettings(cfg)
	if err != nil {
		d.metrics.ConfigLastReloadSuccessful.Set(0)
		return err
	}
	d.settings.Store(s)
	d.metrics.ConfigLastReloadSuccessful.Set(1)
	d.metrics.ConfigLastReloadSuccess.SetToCurrentTime()
	d.gate.Reannounce()
	return nil
}

// Held returns the number of messages ampd holds.
func (d *Daemon) Held() int { return d.held.Len() }

// Presence returns the presence table, for inspection.
func (d *Daemon) Presence() *presence.Table { return d.presence }

// sendWaiting is send for verdicts: when the connection's queue is full it waits for room, so
// that a server that reads slowly slows ampd's reading down instead of losing verdicts (the
// module would bounce those requests after its pending timeout). The wait ends when the writer
// makes room or the connection ends (then the re-diverts get the remembered verdicts).
func (d *Daemon) sendWaiting(stanza []byte) {
	if err := d.out.SendWait(stanza); err != nil {
		d.log.Warn("cannot queue verdicts while the connection ends; the module diverts those requests again", "err", err)
	}
}

func (d *Daemon) send(stanza []byte) {
	if err := d.out.Send(stanza); err != nil {
		// The server module keeps the request and diverts it again, or bounces it when its
		// bound is reached: nothing is lost, but the operator should know.
		d.log.Error("cannot queue a stanza for the server; raise component.max_queued if this repeats", "err", err)
	}
}
