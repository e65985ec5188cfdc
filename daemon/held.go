package daemon

import (
	"github.com/ampd-xmpp/ampd/held"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/store"
)

// openHeld opens the durable store (the file at path, unless st is already open) and the
// manager of held messages (amp-semantics §7). Deadlines that passed while ampd was down are
// carried out at once; the stanzas go into the component's queue and leave when the
// connection is up.
func (d *Daemon) openHeld(path string, st store.Backend) error {
	if st == nil {
		file, err := store.Open(path, store.Options{})
		if err != nil {
			return err // the store's errors name the file and the recovery command
		}
		st, d.ownStore = file, true
	}
	m, err := held.New(st, held.SystemClock(), heldActions{d}, held.Options{
		ReplyFrom: d.replyAddress,
		AwaitAck:  true,
		Logger:    d.log.With("layer", "held"),
	})
	if err != nil {
		if d.ownStore {
			st.Close()
		}
		return err
	}
	d.store, d.held = st, m
	rec := m.Recovery()
	d.metrics.HeldRecovery.Set(rec.Duration.Seconds())
	d.metrics.CountHeldFrom(m.Len)
	d.log.Info("held messages loaded", "store", st.Path(), "held", rec.Loaded, "resumed", rec.Resumed, "overdue", rec.Overdue, "took", rec.Duration)
	return nil
}

func (d *Daemon) closeHeld() {
	if d.held == nil {
		return
	}
	d.held.Close()
	if !d.ownStore {
		return
	}
	if err := d.store.Close(); err != nil {
		d.log.Error("closing the held-message store", "err", err)
	}
}

// heldActions sends what the held-message manager releases through the server module.
type heldActions struct{ d *Daemon }

// Reinject is called with the manager's lock held: nothing here may call back into it.
func (a heldActions) Reinject(host, key string, stanza []byte) error {
	a.d.reinjects.Sent(key)
	return a.d.out.Send(route.AppendReinject(nil, a.d.domain, host, key, stanza))
}

// reinjectAcked completes a re-inject: the manager forgets the step, the lag is observed.
func (d *Daemon) reinjectAcked(key string) {
	d.held.Acked(key)
	d.reinjects.Acked(key)
}
