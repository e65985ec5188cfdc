package held

import (
	"time"

	"github.com/ampd-xmpp/ampd/store"
)

// The transitions below run with m.mu held.

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

// settle evaluates a held message at now: a met rule's action runs; with none met, the
// message is released if release is set (its recipient is available) and stays otherwise.
// A notify goes out and evaluation continues, since other rules may be met too.
func (m *Manager) settle(h *heldMessage, now time.Time, release bool) {
	for h.rec.State == store.Held {
		rule := firstMet(h, now)
		switch {
		case rule >= 0:
			if !m.begin(h, store.Expiring, rule) {
				return
			}
		case release:
			if !m.begin(h, store.Releasing, -1) {
				return
			}
		default:
			return
		}
		m.send(h)
		if _, present := m.msgs[h.rec.ID]; !present {
			return
		}
	}
}

// begin writes the pending state durably before anything is sent. On failure nothing has
// happened and the message stays held; it is evaluated again at its next event.
func (m *Manager) begin(h *heldMessage, state store.State, rule int) bool {
	prev := h.rec
	h.rec.State, h.rec.Rule = state, rule
	if err := m.st.Update(&h.rec); err != nil {
		h.rec = prev
		m.log.Error("held message: cannot record the decision; it stays held", "id", h.rec.ID, "err", err)
		return false
	}
	return true
}

// send sends the stanza of a pending step and completes the step, or leaves it pending for
// a retry (or an ack).
func (m *Manager) send(h *heldMessage) {
	if out := outgoing(&h.rec, &h.msg, m.replyFrom(h.rec.Host)); out != nil {
		if err := m.act.Reinject(h.rec.Host, Key(&h.rec), out); err != nil {
			m.log.Warn("held message: send failed; will retry", "id", h.rec.ID, "key", Key(&h.rec), "err", err)
			m.unsent[h.rec.ID] = true
			m.scheduleRetry()
			return
		}
		if m.opts.AwaitAck {
			m.unsent[h.rec.ID] = true
			return
		}
	}
	m.complete(h)
}

// complete ends a sent step durably: the record is deleted, or a notify rule is marked fired
// and the message is held again. If that write fails the step stays pending and is sent
// again (with its key) later.
func (m *Manager) complete(h *heldMessage) {
	now := m.clk.Now()
	if h.rec.State == store.Expiring && m.actionOf(h, h.rec.Rule) == "notify" {
		prev := h.rec
		h.rec.Fired = append(append([]int(nil), h.rec.Fired...), h.rec.Rule)
		h.rec.State, h.rec.Rule = store.Held, -1
		if err := m.st.Update(&h.rec); err != nil {
			h.rec = prev
			m.failComplete(h, err)
			return
		}
		m.log.Info("held message: notified", "id", h.rec.ID, "key", Key(&prev))
		delete(m.unsent, h.rec.ID)
		m.settle(h, now, false) // a later rule may be due already
		return
	}
	if err := m.st.Delete(h.rec.ID); err != nil {
		m.failComplete(h, err)
		return
	}
	m.log.Info("held message: done", "id", h.rec.ID, "key", Key(&h.rec), "state", h.rec.State.String())
	m.remove(h)
}

func (m *Manager) failComplete(h *heldMessage, err error) {
	m.log.Error("held message: sent but cannot record it; will send again", "id", h.rec.ID, "key", Key(&h.rec), "err", err)
	m.unsent[h.rec.ID] = true
	m.scheduleRetry()
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
	for _, d := range m.deadlines.popDue(now, nil) {
		h, ok := m.msgs[d.id]
		if !ok || h.rec.HasFired(d.rule) {
			continue // released, expired or notified already
		}
		m.settle(h, now, false)
	}
	m.arm()
}

// arm keeps exactly one timer, for the earliest deadline.
func (m *Manager) arm() {
	if m.closed || m.deadlines.Len() == 0 {
		return
	}
	next := m.deadlines[0].at
	if m.timer != nil {
		if !next.Before(m.timerAt) {
			return
		}
		m.timer.Stop()
	}
	m.timerAt = next
	m.timer = m.clk.AfterFunc(max(next.Sub(m.clk.Now()), 0), m.onTimer)
}

func (m *Manager) onTimer() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
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
	if len(m.unsent) == 0 {
		m.retryDelay = 0
		return
	}
	for _, id := range m.sortedIDs() {
		if m.unsent[id] {
			delete(m.unsent, id)
			m.send(m.msgs[id])
		}
	}
	if len(m.unsent) == 0 {
		m.retryDelay = 0
	}
}
