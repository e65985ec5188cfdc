package held

import (
	"slices"
	"time"

	"github.com/ampd-xmpp/ampd/store"
)

// The transitions below run with m.mu held. Each works on a batch of messages and writes
// the batch's states in one transaction (group commit): with an fsync per transaction,
// one write per message could not keep up with thousands of deadlines per second.

// firstMet returns the first expire-at rule, in document order, that is met at now and not
// spent (a notify that has fired), or -1 (see the package documentation).
func firstMet(h *heldMessage, now time.Time) int {
	for _, d := range h.rec.Deadlines {
		if !now.Before(d.At) && !h.rec.HasFired(d.Rule) {
			return d.Rule
		}
	}
	return -1
}

// settle evaluates held messages at now: a met rule's action runs; with none met, a message
// is released if release is set (its recipient is available) and stays held otherwise.
// A notify goes out and the message is evaluated again, since another rule may be met too.
func (m *Manager) settle(hs []*heldMessage, now time.Time, release bool) {
	for len(hs) > 0 {
		started := m.begin(hs, now, release)
		hs = m.complete(m.send(started))
	}
}

// begin decides the next step of each held message and writes the pending states durably
// before anything is sent. If that write fails nothing has happened: the messages stay held
// and are evaluated again at their next event.
func (m *Manager) begin(hs []*heldMessage, now time.Time, release bool) []*heldMessage {
	var started []*heldMessage
	var prev []store.Record
	for _, h := range hs {
		if h.rec.State != store.Held {
			continue // a step is already pending
		}
		rule := firstMet(h, now)
		if rule < 0 && !release {
			continue
		}
		prev = append(prev, h.rec)
		if rule >= 0 {
			h.rec.State, h.rec.Rule = store.Expiring, rule
		} else {
			h.rec.State, h.rec.Rule = store.Releasing, -1
		}
		started = append(started, h)
	}
	if len(started) == 0 {
		return nil
	}
	if err := m.st.Apply(records(started), nil); err != nil {
		for i, h := range started {
			h.rec = prev[i]
		}
		m.log.Error("held messages: cannot record decisions; they stay held", "count", len(started), "err", err)
		return nil
	}
	return started
}

// send sends the stanza of each pending step and returns the steps to complete; the others
// stay pending for a retry (or an ack).
func (m *Manager) send(hs []*heldMessage) []*heldMessage {
	done := hs[:0:0]
	for _, h := range hs {
		if out := outgoing(&h.rec, &h.msg, m.replyFrom(h.rec.Host)); out != nil {
			if err := m.act.Reinject(h.rec.Host, Key(&h.rec), h.rec.Route, out); err != nil {
				m.log.Warn("held message: send failed; will retry", "id", h.rec.ID, "key", Key(&h.rec), "err", err)
				m.unsent[h.rec.ID] = true
				m.scheduleRetry()
				continue
			}
			if m.opts.AwaitAck {
				m.unsent[h.rec.ID] = true
				continue
			}
		}
		done = append(done, h)
	}
	return done
}

// complete ends sent steps durably, in one transaction: records are deleted, or a notify
// rule is marked fired and the message held again. It returns the messages held again, to be
// evaluated again. If the write fails the steps stay pending and are sent again (with the
// same keys) later.
func (m *Manager) complete(hs []*heldMessage) []*heldMessage {
	if len(hs) == 0 {
		return nil
	}
	var notified, updates []*heldMessage
	var deletes []uint64
	var prev []store.Record
	for _, h := range hs {
		if h.rec.State == store.Expiring && m.actionOf(h, h.rec.Rule) == "notify" {
			prev = append(prev, h.rec)
			h.rec.Fired = append(slices.Clone(h.rec.Fired), h.rec.Rule)
			h.rec.State, h.rec.Rule = store.Held, -1
			updates = append(updates, h)
			continue
		}
		deletes = append(deletes, h.rec.ID)
	}
	if err := m.st.Apply(records(updates), deletes); err != nil {
		for i, h := range updates {
			h.rec = prev[i]
		}
		m.log.Error("held messages: sent but cannot record it; will send again", "count", len(hs), "err", err)
		for _, h := range hs {
			m.unsent[h.rec.ID] = true
		}
		m.scheduleRetry()
		return nil
	}
	for i, h := range hs {
		delete(m.unsent, h.rec.ID)
		if h.rec.State == store.Held {
			m.log.Info("held message: notified", "id", h.rec.ID, "rule", prev[len(notified)].Rule)
			notified = append(notified, h)
			continue
		}
		m.log.Info("held message: done", "id", h.rec.ID, "key", Key(&hs[i].rec), "state", h.rec.State.String())
		m.remove(h)
	}
	return notified
}

func records(hs []*heldMessage) []*store.Record {
	rs := make([]*store.Record, len(hs))
	for i, h := range hs {
		rs[i] = &h.rec
	}
	return rs
}

func (m *Manager) actionOf(h *heldMessage, rule int) string {
	if h.msg.Amp == nil || rule < 0 || rule >= len(h.msg.Amp.Rules) {
		return ""
	}
	return h.msg.Amp.Rules[rule].Action.Value
}

func (m *Manager) replyFrom(host string) string {
	if m.opts.ReplyFrom != nil {
		return m.opts.ReplyFrom(host)
	}
	return host
}

// fireDue carries out every deadline that has come, then arms the timer for the next one.
func (m *Manager) fireDue() {
	now := m.clk.Now()
	m.dueBuf = m.deadlines.popDue(now, m.dueBuf[:0])
	var hs []*heldMessage
	for _, d := range m.dueBuf {
		h, ok := m.msgs[d.id]
		if !ok || h.rec.HasFired(d.rule) || (len(hs) > 0 && hs[len(hs)-1] == h) {
			continue // released, expired or notified already, or listed just before
		}
		hs = append(hs, h)
	}
	m.settle(hs, now, false)
	m.arm()
}

// arm keeps exactly one timer, for the earliest deadline.
func (m *Manager) arm() {
	if m.closed || m.deadlines.Len() == 0 {
		return
	}
	next := m.deadlines[0].at
	if grid := m.opts.Coalesce; grid > 0 {
		if up := next.Truncate(grid); up.Before(next) {
			next = up.Add(grid)
		}
	}
	if m.timer != nil {
		if !next.Before(m.timerAt) {
			return
		}
		m.timer.Stop()
	}
	m.timerAt = next
	m.timerGen++
	gen := m.timerGen
	m.timer = m.clk.AfterFunc(max(next.Sub(m.clk.Now()), 0), func() { m.onTimer(gen) })
}

// onTimer runs the deadlines that are due. A timer that was replaced but had already
// started (Stop came too late) does nothing, so that it cannot forget its successor.
func (m *Manager) onTimer(gen uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || gen != m.timerGen {
		return
	}
	m.timer = nil
	m.fireDue()
}

func (m *Manager) scheduleRetry() {
	if m.closed || m.retry != nil {
		return
	}
	if m.retryDelay == 0 {
		m.retryDelay = m.opts.RetryMin
	}
	m.retry = m.clk.AfterFunc(m.retryDelay, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.retry = nil
		if !m.closed {
			m.retryDelay = min(2*m.retryDelay, m.opts.RetryMax)
			m.retryUnsent()
		}
	})
}

// retryUnsent sends every pending step again, in ID order.
func (m *Manager) retryUnsent() {
	var hs []*heldMessage
	for _, id := range m.sortedIDs() {
		if m.unsent[id] {
			delete(m.unsent, id)
			hs = append(hs, m.msgs[id])
		}
	}
	m.settle(m.complete(m.send(hs)), m.clk.Now(), false)
	if len(m.unsent) == 0 {
		m.retryDelay = 0
	}
}
