package daemon

import (
	"slices"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/route"
)

// request is one diverted AMP request on its way to a verdict.
type request struct {
	div      route.Divert
	msg      amp.Message
	from, to parsedJID
	facts    resolver.Facts
	s        *settings
	started  int64 // d.now() in UnixNano when it was read, for the latency histogram

	parseErr error // why prepare could not read the inner message

	owned      bool     // div.Message is ampd's own copy (parked requests outlive the read buffer)
	authorised bool     // the §9 answer, once known
	hop        *hopInfo // the recipient domain's disco#info, once known; nil while not needed or unknown
}

// divert answers one diverted message with exactly one verdict: prepare, then settle. The
// component normally runs the two on different goroutines (prepare.go); this is the path of a
// divert handed to Stanza.
func (d *Daemon) divert(div route.Divert) {
	r := d.requests.Get().(*request)
	d.prepare(r, div)
	d.settle(r)
	d.requests.Put(r)
}

// prepare does the part of a divert's work that needs none of the state guarded by d.mu:
// parsing the inner message. r's parse storage is reused. (The addresses are parsed in settle:
// that balances the work of the two goroutines best, and keeps the address cache on one.)
func (d *Daemon) prepare(r *request, div route.Divert) {
	*r = request{div: div, msg: amp.Message{Amp: r.msg.Amp}, s: d.settings.Load(), started: d.now().UnixNano()}
	r.parseErr = amp.ParseMessage(div.Message, &r.msg)
}

// settle decides a prepared request, or parks it until a lookup it needs is answered (a parked
// request gets its own copy: pendingLookups.await). r may be reused once settle returns.
func (d *Daemon) settle(r *request) {
	div := r.div
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.decided.get(div.Host, div.ID); ok {
		// Diverted again: the module never saw our verdict. Repeat it, never decide twice.
		d.metrics.DuplicateRoutes.Inc()
		d.queueVerdict(div.Host, div.ID, v)
		return
	}
	if d.pending.waiting(div.Host, div.ID) {
		d.metrics.DuplicateRoutes.Inc()
		return
	}
	if r.parseErr != nil {
		d.refuseUnreadable(r, r.parseErr)
		return
	}
	if !r.msg.IsRequest() {
		// Not ours to judge (a reply or an error bounce): let it through untouched.
		d.conclude(r, route.Deliver, nil, "none")
		return
	}
	var err error
	if r.from, err = d.jids.parse(r.msg.From.Value); err != nil {
		d.log.Warn("diverted message has an invalid sender; discarding it", "route", div.ID, "from", r.msg.From.Value, "err", err)
		d.conclude(r, route.Discard, nil, "none")
		return
	}
	if r.to, err = d.jids.parse(r.msg.To.Value); err != nil {
		// The server bounces a message to an invalid address itself.
		d.log.Info("diverted message has an invalid recipient; letting the server bounce it", "route", div.ID, "to", r.msg.To.Value)
		d.conclude(r, route.Deliver, nil, "none")
		return
	}
	r.facts = facts(div, r.to, r.s)
	auth, known := d.authorised(r)
	if !known {
		d.rosters.await(routeKey(div.Host, div.ID), r) // decided when the roster arrives or the fetch times out
		return
	}
	d.decide(r, auth)
}

// decide runs the resolver once the §9 answer is known and sends the verdict. Called with
// d.mu held.
func (d *Daemon) decide(r *request, authorised bool) {
	r.authorised = authorised
	d.evaluate(r)
}

// evaluate decides r, first asking the recipient domain's disco#info when the decision
// depends on it (needsHop): the resolver runs first, and the next hop is checked only when
// its answer could change the outcome. Called with d.mu held, again when the answer came.
func (d *Daemon) evaluate(r *request) {
	in := resolver.Input{
		Message:            &r.msg,
		From:               r.from.jid,
		To:                 r.to.jid,
		Facts:              r.facts,
		Available:          d.presence.Resources(r.to.bare),
		PresenceAuthorised: r.authorised,
		Now:                d.now(),
	}
	if r.hop != nil && r.hop.gateway {
		in.Facts.Gateway = true
	}
	dec := resolver.Decide(in, r.s.features)
	if r.hop == nil && dec.Err == nil && needsHop(r, dec) {
		if !d.knowHop(r) {
			return // evaluated again when the domain answers or the query times out
		}
		d.evaluate(r)
		return
	}
	reply := d.reply(r, in, dec)
	action := dec.Action
	if action == "" {
		action = "none"
	}
	if dec.Err != nil {
		d.metrics.ValidationErrors.WithLabelValues(validationClass(dec.Err)).Inc()
	}
	replyKindLabel := replyKind(dec)
	verdict := route.Deliver
	strip := false
	switch dec.Verdict {
	case resolver.Discard:
		verdict = route.Discard
	case resolver.Hold:
		// Durable before the verdict and the sender's "stored" notification go out (§7).
		if _, err := d.held.Hold(r.div.Host, r.div.ID, r.div.Message, time.Unix(0, r.started), dec); err != nil {
			// The server's offline storage still keeps it, without expiry: better than losing it.
			d.log.Error("cannot hold a message; handing it to the server's offline storage without expiry. Check store.path (disk full? permissions?)", "route", r.div.ID, "err", err)
			break
		}
		d.metrics.HeldMessages.Set(float64(d.held.Len()))
		verdict = route.Hold
	case resolver.Deliver:
		if r.facts.Recipient != resolver.RecipientRemote || r.hop == nil || r.hop.amp {
			break
		}
		// The next hop does not advertise AMP (amp-semantics §8).
		switch r.s.remoteUnsupported {
		case config.RemoteError:
			// Only the 503 goes out: a notify met before must not announce a delivery
			// that does not happen.
			reply = amp.ErrorReply(&r.msg, amp.ServiceUnavailable(), d.replyAddress(r.div.Host))
			replyKindLabel = "service-unavailable"
			verdict, action = route.Discard, "none"
		case config.RemoteStrip:
			strip = true
		}
	}
	d.concludeStrip(r, verdict, strip, reply, action)
	if reply != nil {
		d.metrics.Replies.WithLabelValues(replyKindLabel).Inc()
	}
}

// reply builds the reply the sender is owed. A request from another server that carries the
// original addresses stamped on its <amp/> (XEP-0079 §4.1) is answered to its from with those
// addresses in the reply's <amp from to>.
//
// The reply is built in a scratch buffer and copied once at its size: building it in a fresh
// slice grew it several times. Called with d.mu held.
func (d *Daemon) reply(r *request, in resolver.Input, dec resolver.Decision) []byte {
	buf := d.replyBuf[:0]
	stamped := r.msg.Amp.From.Present || r.msg.Amp.To.Present
	if r.div.Origin != route.OriginS2S || !stamped || dec.Err != nil || dec.Met < 0 || dec.Met >= len(r.msg.Amp.Rules) {
		buf = resolver.AppendReply(buf, in, dec, d.replyAddress(r.div.Host))
	} else {
		from, to := r.msg.From, r.msg.To
		if r.msg.Amp.From.Present {
			from = r.msg.Amp.From
		}
		if r.msg.Amp.To.Present {
			to = r.msg.Amp.To
		}
		buf = amp.AppendActionReplyStamped(buf, &r.msg, r.msg.Amp.Rules[dec.Met], d.replyAddress(r.div.Host), from, to)
	}
	if cap(buf) <= maxBatchBytes {
		d.replyBuf = buf // keep the scratch unless one huge reply grew it
	}
	if len(buf) == 0 {
		return nil
	}
	return slices.Clone(buf) // the decided-routes memory keeps it
}

// conclude sends the verdict, remembers it for re-diverts and records the outcome.
func (d *Daemon) conclude(r *request, verdict route.Action, reply []byte, action string) {
	d.concludeStrip(r, verdict, false, reply, action)
}

// concludeStrip is conclude, with strip telling the module to deliver without the <amp/>.
func (d *Daemon) concludeStrip(r *request, verdict route.Action, strip bool, reply []byte, action string) {
	v := verdictRecord{action: verdict, strip: strip, reply: reply}
	d.decided.put(r.div.Host, r.div.ID, v)
	d.queueVerdict(r.div.Host, r.div.ID, v)
	d.messages.inc(string(verdict), action)
	d.metrics.Processing.Observe(float64(d.now().UnixNano()-r.started) / 1e9)
}

// refuseUnreadable answers a diverted message ampd cannot read: the sender gets a bad-request
// when there is an address to send it to; the message is not delivered against rules that
// could not be read.
func (d *Daemon) refuseUnreadable(r *request, err error) {
	d.metrics.ValidationErrors.WithLabelValues("malformed").Inc()
	d.log.Warn("diverted message cannot be read; refusing it", "route", r.div.ID, "err", err)
	var reply []byte
	if r.msg.From.Value != "" {
		reply = amp.ErrorReply(&r.msg, amp.NotWellFormed(err.Error()), d.replyAddress(r.div.Host))
		d.metrics.Replies.WithLabelValues("validation").Inc()
	}
	d.conclude(r, route.Discard, reply, "none")
}

func (d *Daemon) replyAddress(host string) string {
	if d.replyFrom == config.ReplyFromComponent {
		return d.domain
	}
	return host
}

// facts turns the module's route facts and the configuration into the resolver's input.
func facts(div route.Divert, to parsedJID, s *settings) resolver.Facts {
	f := resolver.Facts{OfflineStorage: div.Offline == "store"}
	switch div.Recipient {
	case "local":
		f.Recipient = resolver.RecipientLocal
	case "unknown":
		f.Recipient = resolver.RecipientUnknown
	case "remote":
		f.Recipient = resolver.RecipientRemote
	default:
		f.Recipient = resolver.RecipientService
	}
	f.Gateway = slices.Contains(s.gateways, to.jid.Domainpart())
	f.Forwarded = slices.Contains(s.forwarded, to.bare)
	return f
}

func validationClass(e *amp.Error) string {
	switch {
	case e.App != "":
		return e.App
	case e.Text == amp.MissingID().Text:
		return "missing-id"
	case e.Text == amp.EmptyRuleset().Text:
		return "empty-ruleset"
	}
	return "malformed"
}

func replyKind(dec resolver.Decision) string {
	if dec.Err != nil {
		return "validation"
	}
	return dec.Action
}
