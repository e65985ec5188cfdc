package resolver

// The §9 presence policy (amp-semantics §9) lives here and nowhere else: which rules it
// guards, which requests it applies to, and how the configured policy answers.

// PresencePolicy is privacy.presence_policy: who may use presence-revealing rules.
type PresencePolicy uint8

const (
	// PresenceRoster: the recipient's roster must give the sender a from or both
	// subscription; the resolver asks for the roster (NeedRoster).
	PresenceRoster PresencePolicy = iota
	// PresenceSameDomain: senders of the served hosts are trusted; others as under
	// PresenceRoster.
	PresenceSameDomain
	// PresenceOff: every sender is trusted.
	PresenceOff
)

// asksPresence reports whether a rule with this condition and action (registry indexes, -1
// for unknown) is guarded: its condition reveals presence and its action answers the sender.
func asksPresence(condition, action int) bool {
	return condition >= 0 && conditions[condition].RevealsPresence && !(action >= 0 && actions[action].Silent)
}

// presenceGuarded reports whether the §9 policy refuses presence-revealing rules of this
// sender: the recipient is a local account (existing or not, so that an unknown account is
// treated exactly like a stranger's and its existence stays hidden), the caller's policy did
// not authorise the sender, and the sender is not writing to their own bare JID. Remote
// recipients and services reveal no presence here, so the policy never applies to them.
func presenceGuarded(in Input) bool {
	return !in.PresenceAuthorised && policyApplies(in)
}

func policyApplies(in Input) bool {
	switch in.Facts.Recipient {
	case RecipientLocal, RecipientUnknown:
	default:
		return false
	}
	return !in.From.Bare().Equal(in.To.Bare())
}

// needsAuthorisation reports whether the policy's answer can change the decision: the
// policy applies and some rule is guarded.
func needsAuthorisation(in Input) bool {
	if !policyApplies(in) {
		return false
	}
	for _, r := range in.Message.Amp.Rules {
		if asksPresence(conditionIndex(r.Condition.Value), actionIndex(r.Action.Value)) {
			return true
		}
	}
	return false
}

// authorise answers the §9 question "may the sender see the recipient's presence?";
// known is false when the answer needs the recipient's roster, which the caller has not
// given yet. The policy is read first: a trusting policy costs no look at the rules.
func (p *Policy) authorise(req *Request, roster RosterAnswer) (ok, known bool) {
	switch p.Presence {
	case PresenceOff:
		return true, true
	case PresenceSameDomain:
		for _, h := range p.LocalHosts {
			if req.From.Domainpart() == h {
				return true, true
			}
		}
	}
	if !needsAuthorisation(req.Input) {
		return true, true // the answer cannot change the decision
	}
	return roster.Allows, roster.Known
}
