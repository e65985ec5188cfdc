package held

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/store"
)

// Actions is how held messages leave ampd; the daemon implements it.
type Actions interface {
	// Reinject hands stanza (a complete <message xmlns='jabber:client'/>: a released message
	// or a reply) to the server module of host as a re-inject. key is stable across resends
	// of the same step (see Key), so the module can drop repeats. A nil error means the
	// stanza was accepted for sending; an error makes the manager send it again later
	// (Options.RetryMin … RetryMax, and at every Retry call).
	//
	// It is called with the manager's lock held: it must not block for long and must not
	// call back into the manager.
	// routeID is the ROUTE-ID the message was held under ("" for none), for the module to
	// refuse a step of a request it gave up on (route protocol §8).
	Reinject(host, key, routeID string, stanza []byte) error
}

// Options tune a Manager. The zero value is usable.
type Options struct {
	// ReplyFrom returns the from address of replies for a host (config server.reply_from);
	// nil means the host itself.
	ReplyFrom func(host string) string
	// CloseStore makes Close close the store too: the caller opened it for the manager alone.
	CloseStore bool
	// AwaitAck keeps a sent step pending until Acked is called with its key (for a server
	// module that acknowledges re-injects); false completes it as soon as Reinject returns nil.
	AwaitAck bool
	// RetryMin and RetryMax bound the backoff between attempts of a failed send
	// (defaults 1 s and 30 s).
	RetryMin, RetryMax time.Duration
	// Coalesce is the grid deadlines are rounded up to before the timer is armed, so that
	// deadlines close together are carried out in one timer fire and one transaction instead
	// of one fsync each. Default 50 ms; a negative value disables it. It adds at most this
	// much lateness and never fires a rule before its deadline.
	Coalesce time.Duration
	// Logger receives the manager's structured logs; nil discards them.
	Logger *slog.Logger
}

// Manager keeps the held messages of one store. All its methods are safe for concurrent
// use.
//
// Exactly once. Every outgoing step of a held message (its release, or the reply of an
// expire-at rule) is first written durably as a pending state, then sent, then completed
// durably (record deleted, or the notify rule marked fired). A crash or failure before the
// pending write sends nothing and the message is evaluated again; after it, the identical
// stanza with the identical key is sent again until it is completed. So ampd itself sends
// each step at least once and never loses one; it sends a step more than once only if it
// stops between a send and its completion, or the send is retried, and every such repeat
// carries the same key. Exactly once at the recipient therefore needs the server module to
// drop a re-inject whose key it has already routed (and, for no loss across a broken
// connection, to acknowledge re-injects: Options.AwaitAck with Acked).
type Manager struct {
	st   store.Backend
	clk  Clock
	act  Actions
	opts Options
	log  *slog.Logger

	mu          sync.Mutex
	closed      bool
	msgs        map[uint64]*heldMessage
	byRecipient map[string][]uint64 // IDs in receipt order
	byRoute     map[string]uint64   // host + "\x00" + ROUTE-ID → ID
	deadlines   deadlineHeap
	dueBuf      []deadline
	timer       Timer
	timerAt     time.Time
	timerGen    uint64          // identifies the armed timer
	unsent      map[uint64]bool // pending steps whose send failed or awaits an ack
	retry       Timer
	retryDelay  time.Duration
	recovery    Recovery
}

// heldMessage is a record with its message parsed once.
type heldMessage struct {
	rec store.Record
	msg amp.Message
}

// Recovery describes what New found in the store.
type Recovery struct {
	Loaded   int           // held messages loaded
	Resumed  int           // of which were in a pending state and were sent again
	Overdue  int           // deadlines that had passed while ampd was down
	Duration time.Duration // time to load and schedule, by the manager's clock
}

// New loads every record of st, sends again every step that was pending, and schedules the
// deadlines; deadlines that passed while ampd was down are carried out at once.
func New(st store.Backend, clk Clock, act Actions, opts Options) (*Manager, error) {
	if opts.RetryMin <= 0 {
		opts.RetryMin = time.Second
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(30*time.Second, opts.RetryMin)
	}
	m := &Manager{
		st: st, clk: clk, act: act, opts: opts, log: opts.Logger,
		msgs:        make(map[uint64]*heldMessage),
		byRecipient: make(map[string][]uint64),
		byRoute:     make(map[string]uint64),
		unsent:      make(map[uint64]bool),
	}
	if m.opts.Coalesce == 0 {
		m.opts.Coalesce = 50 * time.Millisecond
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	start := clk.Now()
	err := st.ForEach(func(r store.Record) error {
		h := &heldMessage{rec: r}
		if err := amp.ParseMessage(h.rec.Message, &h.msg); err != nil || h.msg.Amp == nil {
			return fmt.Errorf("held: record %d holds no AMP message (%v)", r.ID, err)
		}
		m.add(h)
		return nil
	})
	if err != nil {
		return nil, err
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	now := clk.Now()
	for _, d := range m.deadlines {
		if !d.at.After(now) {
			m.recovery.Overdue++
		}
	}
	m.recovery.Loaded = len(m.msgs)
	var pending []*heldMessage
	for _, id := range m.sortedIDs() {
		if h := m.msgs[id]; h.rec.State != store.Held {
			pending = append(pending, h)
		}
	}
	m.recovery.Resumed = len(pending)
	m.settle(m.complete(m.send(pending)), now, false)
	m.fireDue()
	m.recovery.Duration = clk.Now().Sub(start)
	// The caller reports what was loaded (Recovery), once, with the rest of its start-up.
	return m, nil
}

// Recovery returns what New found in the store.
func (m *Manager) Recovery() Recovery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recovery
}

// Hold keeps a message the resolver decided to hold (Verdict Hold) and returns its ID once
// it is on disk: only then may the verdict and the sender's stored notification go out.
// route is the divert's ROUTE-ID: a re-divert of a message already held returns the
// existing ID and stores nothing. d is the decision at receipt; a notify rule it met is
// spent (its notification goes out with the verdict).
func (m *Manager) Hold(host, routeID string, msg []byte, received time.Time, d resolver.Decision) (uint64, error) {
	if d.Verdict != resolver.Hold {
		return 0, fmt.Errorf("held: verdict %q is not hold", d.Verdict)
	}
	h := &heldMessage{rec: store.Record{
		Host: host, Route: routeID, Message: slices.Clone(msg),
		Received: received.UTC(), State: store.Held, Rule: -1,
	}}
	if err := amp.ParseMessage(h.rec.Message, &h.msg); err != nil {
		return 0, fmt.Errorf("held: %w", err)
	}
	if h.msg.Amp == nil {
		return 0, errors.New("held: message has no <amp/>")
	}
	to, err := jid.Parse(h.msg.To.Value)
	if err != nil {
		return 0, fmt.Errorf("held: recipient %q: %w", h.msg.To.Value, err)
	}
	h.rec.Recipient = to.Bare().String()
	deadlines, err := resolver.Deadlines(h.msg.Amp.Rules)
	if err != nil {
		return 0, fmt.Errorf("held: %w", err)
	}
	for _, d := range deadlines {
		h.rec.Deadlines = append(h.rec.Deadlines, store.Deadline{Rule: d.Rule, At: d.At})
	}
	if len(h.rec.Deadlines) == 0 {
		return 0, errors.New("held: message has no rule with a deadline; it belongs in the server's offline store")
	}
	if d.Met >= 0 && d.Action == "notify" {
		h.rec.Fired = []int{d.Met}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, errors.New("held: manager closed")
	}
	if id, ok := m.byRoute[route.Key(host, routeID)]; ok && routeID != "" {
		return id, nil
	}
	if err := m.st.Put(&h.rec); err != nil {
		return 0, err
	}
	m.add(h)
	m.fireDue()
	return h.rec.ID, nil
}

// Available tells the manager that bareJID has become available: its held messages are
// released in receipt order, or expire if a deadline has passed (amp-semantics §7).
func (m *Manager) Available(bareJID string) {
	j, err := jid.Parse(bareJID)
	if err != nil {
		m.log.Warn("available: not a JID", "jid", bareJID, "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	var hs []*heldMessage
	for _, id := range m.byRecipient[j.Bare().String()] {
		hs = append(hs, m.msgs[id])
	}
	m.settle(hs, m.clk.Now(), true)
	m.arm()
}

// Retry sends again every pending step now, e.g. after the component connection is back.
func (m *Manager) Retry() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.retryUnsent()
	}
}

// Acked completes the step that key (see Key) names, when Options.AwaitAck is set.
func (m *Manager) Acked(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	for id := range m.unsent {
		if h := m.msgs[id]; Key(&h.rec) == key {
			delete(m.unsent, id)
			m.settle(m.complete([]*heldMessage{h}), m.clk.Now(), false)
			return
		}
	}
}

// Len returns the number of held messages.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

// Close stops the timers. It does not close the store; nothing is lost, since every state is
// on disk before it has effects.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.timer != nil {
		m.timer.Stop()
	}
	if m.retry != nil {
		m.retry.Stop()
	}
	if m.opts.CloseStore {
		return m.st.Close()
	}
	return nil
}

// add indexes a held message and schedules its deadlines that have not fired.
func (m *Manager) add(h *heldMessage) {
	id := h.rec.ID
	m.msgs[id] = h
	m.byRecipient[h.rec.Recipient] = append(m.byRecipient[h.rec.Recipient], id)
	if h.rec.Route != "" {
		m.byRoute[route.Key(h.rec.Host, h.rec.Route)] = id
	}
	for _, d := range h.rec.Deadlines {
		if !h.rec.HasFired(d.Rule) {
			m.deadlines.push(deadline{at: d.At, id: id, rule: d.Rule})
		}
	}
}

// remove forgets a held message whose record is gone.
func (m *Manager) remove(h *heldMessage) {
	id := h.rec.ID
	delete(m.msgs, id)
	delete(m.unsent, id)
	ids := m.byRecipient[h.rec.Recipient]
	if i := slices.Index(ids, id); i >= 0 {
		ids = slices.Delete(ids, i, i+1)
	}
	if len(ids) == 0 {
		delete(m.byRecipient, h.rec.Recipient)
	} else {
		m.byRecipient[h.rec.Recipient] = ids
	}
	if h.rec.Route != "" {
		delete(m.byRoute, route.Key(h.rec.Host, h.rec.Route))
	}
	// Its deadlines stay in the heap and are skipped when they come due.
}

func (m *Manager) sortedIDs() []uint64 {
	ids := make([]uint64, 0, len(m.msgs))
	for id := range m.msgs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Abandoned forgets, durably and without sending anything, the messages held under host and
// each of routes: the server module gave up on those requests before the hold verdict reached
// it (it answered the sender itself, route protocol §8), so releasing or expiring them later
// would give the sender two outcomes. A route it does not hold (never held, already done) is
// skipped. It returns how many messages it forgot; a store that refuses the delete keeps the
// message (logged: it would then be delivered as well as answered).
func (m *Manager) Abandoned(host string, routes ...string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, routeID := range routes {
		id, ok := m.byRoute[route.Key(host, routeID)]
		if m.closed || !ok || routeID == "" {
			continue
		}
		h := m.msgs[id]
		if err := m.st.Apply(nil, []uint64{id}); err != nil {
			m.log.Error("held message abandoned by the server module but cannot be deleted; it will still be released or expire; check the store", "id", id, "host", host, "route", routeID, "err", err)
			continue
		}
		m.log.Warn("held message forgotten: the server module gave up on the request before the hold verdict; the sender already got the module's answer",
			"id", id, "host", host, "route", routeID, "recipient", h.rec.Recipient, "state", h.rec.State.String())
		m.remove(h)
		n++
	}
	return n
}
