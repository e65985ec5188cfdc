package daemon

import (
	"context"
	"errors"

	"github.com/ampd-xmpp/ampd/iq"
	"github.com/ampd-xmpp/ampd/presence"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/xmlstream"
)

// handler receives the component connection's events.
type handler struct{ d *Daemon }

func (h handler) Connected() {
	d := h.d
	if d.everUp.Swap(true) {
		d.metrics.ComponentReconnects.Inc()
	}
	// The server sends every current presence again after a connect: start from nothing so that
	// resources that went away while we were disconnected do not linger.
	d.presence.Reset()
	d.metrics.PresenceResources.Set(0)
	d.privileged.Store(false)
	d.metrics.ResetHosts(d.hosts) // each host announces its permissions again
	d.metrics.ComponentConnected.Set(1)
	d.log.Info("connected to the XMPP server; announcing features to each host once it has sent its permissions", "hosts", d.hosts)
	d.gate.Connected()
	// Re-injects sent on the last connection may have been lost with it: send again every one
	// the module has not acknowledged (it routes each key once).
	d.held.Retry()
}

func (h handler) Disconnected(err error) {
	h.d.gate.Disconnected()
	h.d.metrics.ComponentConnected.Set(0)
	h.d.metrics.ResetHosts(h.d.hosts)     // permissions hold for one connection
	if errors.Is(err, context.Canceled) { // ampd is stopping: nothing is wrong
		h.d.log.Info("disconnected from the XMPP server; stopping")
		return
	}
	h.d.log.Warn("disconnected from the XMPP server; reconnecting", "err", err)
}

// Idle sends the verdicts decided for the stanzas that arrived together, one message per host;
// the component writes them out when the group ends, from this goroutine.
func (h handler) Idle() { h.d.lockedFlush(func() {}) }

func (h handler) Stanza(raw []byte) {
	d := h.d
	switch string(xmlstream.Name(raw)) {
	case "message":
		d.message(raw)
	case "presence":
		d.presenceStanza(raw)
	case "iq":
		d.iqStanza(raw, "")
	default:
		d.skip("unexpected", "top-level element that is not a stanza", raw)
	}
}

func (d *Daemon) message(raw []byte) {
	div, err := route.ParseDivert(raw)
	switch {
	case err == nil:
		d.divert(div)
		return
	case !errors.Is(err, route.ErrNotDivert):
		d.skip("malformed", err.Error(), raw)
		return
	}
	if ids, ok := route.ParseReinjected(raw); ok {
		for _, id := range ids {
			d.reinjectAcked(id)
		}
		return
	}
	if host, routes, ok := route.ParseAbandoned(raw); ok {
		d.held.Abandoned(host, routes...)
		return
	}
	if id, answer, ok := route.ParseDiscoInfoResult(raw); ok {
		d.iqStanza(answer.Raw(), id) // the relayed answer to ampd's query with that id (route §6)
		return
	}
	if p, ok := route.ParsePrivilege(raw); ok {
		d.log.Info("privilege announcement received", "host", p.Host, "namespace", p.Namespace, "presence", p.Presence, "roster", p.Roster)
		if p.Presence != "managed_entity" && p.Presence != "roster" {
			d.log.Error("the server grants no presence permission: ampd cannot see who is online; set presence = \"managed_entity\" in privileged_entities", "host", p.Host)
		} else {
			d.metrics.HostPrivileged.WithLabelValues(p.Host).Set(1)
		}
		d.privileged.Store(true)
		d.gate.Privileged(p.Host)
		return
	}
	d.skip("unexpected", "message that is neither a divert nor a privilege announcement", raw)
}

func (d *Daemon) presenceStanza(raw []byte) {
	u, err := presence.Parse(raw)
	switch {
	case errors.Is(err, presence.ErrIgnored):
		return
	case err != nil:
		d.skip("malformed", err.Error(), raw)
		return
	}
	if d.presence.Apply(u) {
		d.metrics.PresenceResources.Set(float64(d.presence.Len()))
		// Like offline storage, held messages go to the first resource that becomes available
		// with a non-negative priority (RFC 6121 §8.5.2.1.1).
		if u.Available && u.Priority >= 0 {
			d.held.Available(u.Bare)
		}
	}
}

// skip logs and counts a stanza ampd does not act on. The stanza is shortened in the log so
// that a flood of large junk cannot flood the log too.
func (d *Daemon) skip(reason, why string, raw []byte) {
	d.metrics.StanzasSkipped.WithLabelValues(reason).Inc()
	d.log.Warn("skipping stanza", "reason", reason, "why", why, "stanza", string(raw[:min(len(raw), 256)]), "bytes", len(raw))
}

// The component calls Prepare on its reading goroutine and StanzaPrepared on its handling
// goroutine (component.Preparer). A divert's parsing (the divert and the inner message) so
// runs in parallel with the decisions of the diverts read before it, and the
// handling goroutine, which holds d.mu, only decides.

// Prepare parses a divert into a request from the pool; anything else is left to Stanza.
func (h handler) Prepare(raw []byte) any {
	if string(xmlstream.Name(raw)) != "message" {
		return nil
	}
	div, err := route.ParseDivert(raw)
	if err != nil {
		return nil // not a divert (or malformed): Stanza reads it again and says which
	}
	r := h.d.requests.Get().(*request)
	h.d.read(r, div)
	return r
}

// StanzaPrepared settles what Prepare prepared, or handles raw as Stanza does.
func (h handler) StanzaPrepared(raw []byte, prepared any) {
	r, ok := prepared.(*request)
	if !ok {
		h.Stanza(raw)
		return
	}
	h.d.settle(r)
	h.d.requests.Put(r)
}

// iqStanza answers queries addressed to the component and hands answers to ampd's own
// queries to the look-up waiting for them. relayedID is the id of ampd's query that the
// server module relays this answer for (route §6), "" for an iq that came as itself.
func (d *Daemon) iqStanza(raw []byte, relayedID string) {
	s, err := iq.Parse(raw)
	switch {
	case err != nil:
		d.skip("malformed", err.Error(), raw)
	case s.IsAnswer():
		if relayedID != "" {
			s.ID = relayedID
		}
		d.mu.Lock()
		d.pending.Answer(&s)
		d.mu.Unlock()
	case relayedID == "":
		d.send(iq.AppendAnswer(nil, &s))
	}
}
