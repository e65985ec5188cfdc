package daemon

import (
	"slices"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/presence"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
)

// request is one diverted AMP request on its way to a verdict.
type request struct {
	div      route.Divert
	msg      amp.Message
	from, to presence.Address
	s        *settings
	started  int64 // d.now() in UnixNano when it was read, for the latency histogram

	req     resolver.Request
	answers resolver.Answers // what was fetched for the resolver so far
	owned   bool             // div.Message is ampd's own copy (parked requests outlive the read buffer)
}

// divert answers one diverted message with exactly one verdict: read, then settle. The
// component normally runs the two on different goroutines (handler.Prepare); this is the
// path of a divert handed to Stanza.
func (d *Daemon) divert(div route.Divert) {
	r := d.requests.Get().(*request)
	d.read(r, div)
	d.settle(r)
	d.requests.Put(r)
}

// read does the part of a divert's work that needs none of the state guarded by d.mu:
// parsing the inner message, into r's reused storage. (Addresses are parsed in settle: that
// balances the two goroutines best, and keeps the address cache on one.)
func (d *Daemon) read(r *request, div route.Divert) {
	*r = request{div: div, msg: amp.Message{Amp: r.msg.Amp}, s: d.settings.Load(), started: d.now().UnixNano()}
	r.req.Unreadable = amp.ParseMessage(div.Message, &r.msg) // the rest of r.req: settle
}

// settle answers a read request: with the verdict remembered for a re-divert, or by asking
// the resolver. r may be reused once settle returns (a parked request is copied).
func (d *Daemon) settle(r *request) {
	div := r.div
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.answered.Get(div.Host, div.ID); ok {
		// Diverted again: the module never saw our verdict. Repeat it, never decide twice.
		d.metrics.DuplicateRoutes.Inc()
		d.batches.Add(div.Host, div.ID, v)
		return
	}
	if d.pending.Parked() && d.pending.Waiting(route.Key(div.Host, div.ID)) {
		d.metrics.DuplicateRoutes.Inc()
		return
	}
	r.req.Message, r.req.Host, r.req.FromPeer = &r.msg, div.Host, div.Origin == route.OriginS2S
	switch {
	case r.req.Unreadable != nil:
		d.log.Warn("diverted message cannot be read; refusing it", "route", div.ID, "err", r.req.Unreadable)
	case r.msg.IsRequest():
		d.addresses(r)
	}
	d.resolve(r)
}

// Oversized answers a stanza over component.max_stanza_bytes (component.OversizeHandler),
// of which the component read only the first bytes. A divert is settled like an unreadable
// one (discard, a policy-violation to the sender, whose rules cannot be honoured unread), so
// the module answers it at once instead of re-diverting it on every reconnect and bouncing
// it after its pending timeout. Anything else is counted (the component logged it).
func (h handler) Oversized(prefix []byte) {
	d := h.d
	d.metrics.StanzasSkipped.WithLabelValues("oversized").Inc()
	t, err := route.ParseTruncated(prefix)
	if err != nil {
		return
	}
	r := &request{div: route.Divert{Host: t.Host, ID: t.ID}, s: d.settings.Load(), started: d.now().UnixNano()}
	r.msg.From, r.msg.ID = amp.Attr{Value: t.From, Present: t.From != ""}, amp.Attr{Value: t.MessageID, Present: t.MessageID != ""}
	r.req.Unreadable = amp.TooLarge(d.maxStanza)
	d.settle(r)
}

// addresses parses the request's addresses and fills in what the resolver reads of them.
func (d *Daemon) addresses(r *request) {
	var err error
	if r.from, err = d.jids.Parse(r.msg.From.Value); err != nil {
		d.log.Warn("diverted message has an invalid sender; discarding it", "route", r.div.ID, "from", r.msg.From.Value, "err", err)
		r.req.BadFrom = true
		return
	}
	if r.to, err = d.jids.Parse(r.msg.To.Value); err != nil {
		d.log.Info("diverted message has an invalid recipient; letting the server bounce it", "route", r.div.ID, "to", r.msg.To.Value)
		r.req.BadTo = true
		return
	}
	r.req.From, r.req.To = r.from.JID, r.to.JID
	r.req.Facts = resolver.Facts{Recipient: r.div.RecipientKind(), OfflineStorage: r.div.OfflineStorage()}
}

// resolve asks the resolver, fetching what it needs: from the caches at once, else by
// parking r until the answer arrives (the answer resumes it here). Called with d.mu held.
func (d *Daemon) resolve(r *request) {
	for {
		if r.req.Unreadable == nil && !r.req.BadFrom && !r.req.BadTo && r.msg.IsRequest() {
			r.req.Available, r.req.Now = d.presence.Resources(r.to.Bare), d.now()
		}
		out := resolver.Resolve(&r.req, r.answers, &r.s.policy, d.replyBuf)
		switch out.Need {
		case resolver.NeedRoster:
			if a, ok := d.knownRoster(r); ok {
				r.answers.Roster = a
				continue
			}
			d.fetchRoster(r)
		case resolver.NeedNextHop:
			if h, ok := d.knownNextHop(r); ok {
				r.answers.NextHop = h
				continue
			}
			d.askNextHop(r)
		default:
			d.act(r, out)
		}
		return
	}
}

// act carries out an outcome: a held message is stored durably before its verdict (§7), the
// verdict is queued and remembered, the outcome counted. Called with d.mu held.
func (d *Daemon) act(r *request, out resolver.Outcome) {
	if err := out.Decision.Err; err != nil {
		d.metrics.ValidationErrors.WithLabelValues(err.Class()).Inc()
	}
	if out.Verdict == resolver.Hold {
		err := r.div.Holdable() // a slim divert lacks the body a release needs (route §1)
		if err == nil {
			_, err = d.held.Hold(r.div.Host, r.div.ID, r.div.Message, time.Unix(0, r.started), out.Decision)
		}
		if err != nil {
			// The server's offline storage still keeps it, without expiry: better than losing it.
			d.log.Error("cannot hold a message; handing it to the server's offline storage without expiry. Check the store (store.path: disk full? permissions? store.dsn: database reachable?) or, for a slim divert, the module", "route", r.div.ID, "err", err)
			out.Verdict = resolver.Deliver
		}
	}
	var reply []byte
	if out.Reply != nil {
		if cap(out.Reply) <= route.MaxBatchBytes {
			d.replyBuf = out.Reply[:0] // keep the scratch unless one huge reply grew it
		}
		reply = slices.Clone(out.Reply) // the decided-routes memory keeps it
		d.metrics.Replies.WithLabelValues(out.ReplyKind).Inc()
	}
	v := route.Answer{Verdict: out.Verdict, Strip: out.Strip, Reply: reply}
	d.answered.Put(r.div.Host, r.div.ID, v)
	d.batches.Add(r.div.Host, r.div.ID, v)
	d.messages.Inc(string(out.Verdict), out.Action)
	d.metrics.Processing.Observe(float64(d.now().UnixNano()-r.started) / 1e9)
}

// replyAddress is the from of the replies to requests diverted by host.
func (d *Daemon) replyAddress(host string) string {
	if from := d.settings.Load().policy.ReplyFrom; from != "" {
		return from
	}
	return host
}
