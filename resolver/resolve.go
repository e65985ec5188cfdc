package resolver

import (
	"errors"
	"slices"

	"github.com/ampd-xmpp/ampd/amp"
)

// Resolve is the only place where the outcome of a diverted request is formed. It is pure
// and resumable: it returns either an outcome (verdict, strip, the reply the sender is owed)
// or a need (the recipient's roster, the next hop's disco#info). The caller fetches what is
// needed, records it in ans and calls Resolve again with the same request; a need is asked
// for at most once, and an answer given is never asked for again.
//
// The reply is built in scratch's array (scratch[:0] is appended to), so that a caller that
// keeps a buffer builds every reply without allocating; copy it before reusing scratch.
func Resolve(req *Request, ans Answers, p *Policy, scratch []byte) Outcome {
	m := req.Message
	switch {
	case req.Unreadable != nil:
		// The rules could not be read: the message is not delivered against them, and the
		// sender, when there is an address to answer, learns why.
		o := Outcome{Verdict: Discard, Action: "none", Why: WhyUnreadable}
		var refusal *amp.Error
		if !errors.As(req.Unreadable, &refusal) { // amp.ParseMessage and amp.TooLarge give one
			refusal = amp.NotWellFormed(req.Unreadable.Error())
		}
		o.Decision = Decision{Verdict: Discard, Met: -1, Err: refusal}
		if m.From.Value != "" {
			o.Reply, o.ReplyKind = amp.AppendErrorReply(scratch[:0], m, o.Decision.Err, p.replyFrom(req)), "validation"
		}
		return o
	case !m.IsRequest():
		// Not ours to judge (a reply or an error bounce): it goes through untouched.
		return Outcome{Verdict: Deliver, Action: "none", Why: WhyNotRequest}
	case req.BadFrom:
		return Outcome{Verdict: Discard, Action: "none", Why: WhyBadSender}
	case req.BadTo:
		// The server bounces a message to an invalid address itself.
		return Outcome{Verdict: Deliver, Action: "none", Why: WhyBadRecipient}
	}

	in := req.Input
	p.configuredFacts(&in.Facts, req)
	authorised, known := p.authorise(req, ans.Roster)
	if !known {
		return Outcome{Need: NeedRoster}
	}
	in.PresenceAuthorised = authorised
	if ans.NextHop != nil && ans.NextHop.Gateway {
		in.Facts.Gateway = true
	}
	dec := Decide(in, p.Features)
	if ans.NextHop == nil && dec.Err == nil && needsNextHop(in, dec) {
		return Outcome{Need: NeedNextHop}
	}

	o := Outcome{Verdict: dec.Verdict, Decision: dec, Action: dec.Action, ReplyKind: dec.Action}
	if o.Action == "" {
		o.Action = "none"
	}
	if dec.Err != nil {
		o.ReplyKind = "validation"
	}
	o.Reply = appendOwedReply(scratch[:0], req, in, dec, p.replyFrom(req))
	if dec.Verdict == Deliver && in.Facts.Recipient == RecipientRemote && ans.NextHop != nil && !ans.NextHop.AMP {
		// The next hop does not advertise AMP (amp-semantics §8).
		switch p.RemoteUnsupported {
		case RemoteError:
			// Only the 503 goes out: a notify met before must not announce a delivery that
			// does not happen.
			o.Reply = amp.AppendErrorReply(scratch[:0], m, amp.ServiceUnavailable(), p.replyFrom(req))
			o.ReplyKind, o.Verdict, o.Action = "service-unavailable", Discard, "none"
		case RemoteStrip:
			o.Strip = true
		}
	}
	if len(o.Reply) == 0 {
		o.Reply = nil
	}
	return o
}

// appendOwedReply appends the reply the sender is owed. A request from another server that
// carries the original addresses stamped on its <amp/> (XEP-0079 §4.1) is answered to its
// from with those addresses in the reply's <amp from to>.
func appendOwedReply(dst []byte, req *Request, in Input, dec Decision, replyFrom string) []byte {
	m := in.Message
	stamped := m.Amp.From.Present || m.Amp.To.Present
	if !req.FromPeer || !stamped || dec.Err != nil || dec.Met < 0 || dec.Met >= len(m.Amp.Rules) {
		return AppendReply(dst, in, dec, replyFrom)
	}
	from, to := m.From, m.To
	if m.Amp.From.Present {
		from = m.Amp.From
	}
	if m.Amp.To.Present {
		to = m.Amp.To
	}
	return amp.AppendActionReplyStamped(dst, m, m.Amp.Rules[dec.Met], replyFrom, from, to)
}

// needsNextHop reports whether the decision depends on the recipient domain's disco#info: a
// remote recipient's message that would be delivered (is the next hop AMP-capable?), and a
// remote or service recipient not configured as a gateway whose rules judge the disposition
// (is it a gateway?).
func needsNextHop(in Input, dec Decision) bool {
	switch in.Facts.Recipient {
	case RecipientRemote:
		return dec.Verdict == Deliver || (!in.Facts.Gateway && judgesNextHop(in.Message.Amp.Rules))
	case RecipientService:
		return !in.Facts.Gateway && judgesNextHop(in.Message.Amp.Rules)
	}
	return false
}

func judgesNextHop(rules []amp.Rule) bool {
	for _, r := range rules {
		if c := conditionIndex(r.Condition.Value); c >= 0 && conditions[c].NeedsNextHop {
			return true
		}
	}
	return false
}

func (p *Policy) replyFrom(req *Request) string {
	if p.ReplyFrom != "" {
		return p.ReplyFrom
	}
	return req.Host
}

// configuredFacts adds what the configuration declares of the recipient to the module's facts.
func (p *Policy) configuredFacts(f *Facts, req *Request) {
	f.Gateway = f.Gateway || slices.Contains(p.Gateways, req.To.Domainpart())
	if len(p.Forwarded) > 0 {
		f.Forwarded = f.Forwarded || slices.Contains(p.Forwarded, req.To.Bare().String())
	}
}
