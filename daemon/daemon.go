package daemon

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/held"
	"github.com/ampd-xmpp/ampd/metrics"
	"github.com/ampd-xmpp/ampd/presence"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/store"
)

// Sender is where the daemon writes stanzas: the component connection in production.
type Sender interface {
	Send(stanza []byte) error
}

// Daemon is one running ampd.
type Daemon struct {
	log       *slog.Logger
	metrics   *metrics.Metrics
	client    *component.Client
	out       Sender
	domain    string   // the component's domain
	hosts     []string // the XMPP hosts served
	replyFrom string   // config.ReplyFromServer or ReplyFromComponent
	now       func() time.Time

	settings atomic.Pointer[settings]
	presence *presence.Table
	store    *store.Store
	held     *held.Manager // messages ampd keeps itself (expire-at while offline)
	acksMu   sync.Mutex
	unacked  map[string]time.Time // re-inject key → when it was first sent

	connected  atomic.Bool
	privileged atomic.Bool // the XEP-0356 presence permission has been announced
	everUp     atomic.Bool
	queries    atomic.Uint64 // iq ids of ampd's own queries (rosters, disco#info)

	requests sync.Pool // *request with parse storage, reused from divert to divert

	mu       sync.Mutex // guards what follows: the state of requests being decided
	jids     *jidCache
	messages messageCounters
	decided  *decidedRoutes
	batches  verdictBatches  // verdicts decided and not yet sent
	replyBuf []byte          // scratch for building replies
	pending  *pendingLookups // queries under way and the requests parked on them
	rosters  *rosterCache
	hops     *hopCache // disco#info answers of recipient domains (§8 next hop, gateways)
}

// Options are the parts of a Daemon that tests replace.
type Options struct {
	Now func() time.Time // default time.Now
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
		replyFrom: cfg.Server.ReplyFrom,
		now:       opts.Now,
		presence:  presence.NewTable(),
		decided:   newDecidedRoutes(1 << 16),
		jids:      newJIDCache(1 << 16),
		unacked:   make(map[string]time.Time),
		messages:  messageCounters{vec: m.Messages, m: make(map[[2]string]prometheus.Counter)},
	}
	d.settings.Store(s)
	d.requests.New = func() any { return new(request) }
	d.pending = newPendingLookups(d)
	d.rosters = newRosterCache(d)
	d.hops = newHopCache()
	d.client = component.New(component.Config{
		Address:          cfg.Component.Address,
		Domain:           cfg.Component.Domain,
		Secret:           cfg.Component.Secret,
		MaxStanzaBytes:   cfg.Component.MaxStanzaBytes,
		KeepAlive:        cfg.Component.Keepalive,
		DialTimeout:      cfg.Component.DialTimeout,
		HandshakeTimeout: cfg.Component.HandshakeTimeout,
		BackoffMin:       cfg.Component.ReconnectMin,
		BackoffMax:       cfg.Component.ReconnectMax,
		MaxQueued:        cfg.Component.MaxQueued * 1024, // max_queued counts stanzas; budget ~1 KiB each
		Logger:           log.With("layer", "component"),
	}, handler{d})
	d.out = d.client
	if err := d.openHeld(cfg.Store.Path); err != nil {
		return nil, err
	}
	m.ConfigLastReloadSuccessful.Set(1)
	m.ConfigLastReloadSuccess.SetToCurrentTime()
	m.ResetHosts(d.hosts)
	return d, nil
}

// Run connects to the server and processes stanzas until ctx is done.
func (d *Daemon) Run(ctx context.Context) error {
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { d.watchHeld(watchCtx); close(watched) }()
	err := d.client.Run(ctx)
	stopWatch()
	<-watched
	d.pending.stop()
	d.closeHeld()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Ready reports whether ampd can process AMP requests: connected, with presence permission.
func (d *Daemon) Ready() error {
	switch {
	case !d.connected.Load():
		return errors.New("component not connected")
	case !d.privileged.Load():
		return errors.New("waiting for the XEP-0356 privilege announcement (check privileged_entities on the server)")
	}
	return nil
}

// Healthy reports whether the process works; it does as long as it runs.
func (d *Daemon) Healthy() error { return nil }

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
	if d.connected.Load() {
		d.announce(s)
	}
	return nil
}

// Held returns the number of messages ampd holds.
func (d *Daemon) Held() int { return d.held.Len() }

// Presence returns the presence table, for inspection.
func (d *Daemon) Presence() *presence.Table { return d.presence }

func (d *Daemon) announce(s *settings) {
	for _, h := range d.hosts {
		d.send(route.AppendAnnounce(nil, d.domain, h, s.disco))
	}
}

func (d *Daemon) send(stanza []byte) {
	if err := d.out.Send(stanza); err != nil {
		// The server module keeps the request and diverts it again, or bounces it when its
		// bound is reached: nothing is lost, but the operator should know.
		d.log.Error("cannot queue a stanza for the server; raise component.max_queued if this repeats", "err", err)
	}
}
