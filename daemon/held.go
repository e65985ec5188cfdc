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
	own := st == nil
	if own {
		file, err := store.Open(path, store.Options{})
		if err != nil {
			return err // the store's errors name the file and the recovery command
		}
		st = file
	}
	m, err := held.New(st, held.SystemClock(), heldActions{d}, held.Options{
		ReplyFrom:  d.replyAddress,
		AwaitAck:   true,
		CloseStore: own,
		Logger:     d.log.With("layer", "held"),
	})
	if err != nil {
		if own {
			st.Close()
		}
		return err
	}
	d.held = m
	rec := m.Recovery()
	d.metrics.HeldRecovery.Set(rec.Duration.Seconds())
	d.metrics.CountHeldFrom(m.Len)
	d.log.Info("held messages loaded", "store", st.Path(), "held", rec.Loaded, "resumed", rec.Resumed, "overdue", rec.Overdue, "took", rec.Duration)
	return nil
}

// heldActions sends what the held-message manager releases through the server module.
type heldActions struct{ d *Daemon }

// Reinject is called with the manager's lock held: nothing here may call back into it.
func (a heldActions) Reinject(host, key, routeID string, stanza []byte) error {
	a.d.reinjects.Sent(key)
	return a.d.out.Send(route.AppendRouteReinject(nil, a.d.domain, host, key, routeID, stanza))
}

// reinjectAcked completes a re-inject: the manager forgets the step, the lag is observed.
func (d *Daemon) reinjectAcked(key string) {
	d.held.Acked(key)
	d.reinjects.Acked(key)
}
