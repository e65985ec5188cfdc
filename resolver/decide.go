package resolver

// Decide validates an AMP request and, if it is valid, evaluates its rules against the
// recipient's state at receipt (amp-semantics §2–§7). It always returns exactly one outcome:
//
//   - validation failed: Verdict Discard, Err set, Met -1;
//   - a rule was met: its action decides (notify → Deliver or Hold; alert, error, drop →
//     Discard), Met and Action name it;
//   - no rule was met: the default disposition is carried out (Deliver or Hold), Met -1.
//
// The verdict is Hold instead of Deliver when the disposition is stored and the message
// carries a rule with a deadline (expire-at): ampd keeps such messages itself, because a server's offline
// store cannot expire them (§7).
//
// in.Message must be a parsed AMP request; in.From and in.To its parsed addresses.
func Decide(in Input, f Features) Decision {
	if err := Validate(in, f); err != nil {
		// Disposition stays empty on purpose: a refusal must not carry presence.
		return Decision{Verdict: Discard, Met: -1, Err: err}
	}
	full, resource := addressedResource(in)
	fb := defaultFallback(in, full, resource)
	d := Decision{
		Verdict:      Deliver,
		Disposition:  fb.disposition,
		Destinations: fb.destinations(in.Available),
	}
	rules := in.Message.Amp.Rules
	d.Met = firstMet(rules, situation(in, fb, full, resource))
	if d.Met >= 0 {
		d.Action = rules[d.Met].Action.Value
		if !actions[actionIndex(d.Action)].Continues {
			d.Verdict = Discard
			return d
		}
	}
	if d.Disposition == Stored && hasDeadline(rules) {
		d.Verdict = Hold
	}
	return d
}
