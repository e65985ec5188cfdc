package resolver

import "github.com/ampd-xmpp/ampd/amp"

// Reply returns the stanza the sender of in.Message is owed for decision d, nil if none
// (amp-semantics §2, §5): the error reply for a refused message; the notify, alert or error
// reply for a met rule; nothing for drop and nothing when no rule was met. replyFrom is the
// reply's from address (the server's domain by default, or the component's own).
//
// The reply never carries the original body or payload, and a refusal's reply does not
// depend on the recipient's presence.
func Reply(in Input, d Decision, replyFrom string) []byte {
	return AppendReply(nil, in, d, replyFrom)
}

// AppendReply appends the reply Reply returns to dst, and returns dst unchanged when the
// sender is owed none.
func AppendReply(dst []byte, in Input, d Decision, replyFrom string) []byte {
	m := in.Message
	switch {
	case m == nil:
		return dst
	case d.Err != nil:
		return amp.AppendErrorReply(dst, m, d.Err, replyFrom)
	case m.Amp == nil || d.Met < 0 || d.Met >= len(m.Amp.Rules):
		return dst
	}
	return amp.AppendActionReply(dst, m, m.Amp.Rules[d.Met], replyFrom) // nothing for drop
}
