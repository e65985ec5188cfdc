package resolver

// match-resource judges the actual destination of the message (Decision D4): any is met
// when the recipient has an available resource; exact when the message would reach exactly
// the addressed resource (for a bare JID: none); other when it would reach resources but not
// the addressed one. It is judged only where ampd is the recipient's edge server: for a
// remote recipient it is not applicable and never met, per-hop or not (Decision D5), and
// neither is it for a service, whose resources ampd does not know.
func init() {
	RegisterCondition(Condition{
		Name:            "match-resource",
		Values:          []string{"any", "exact", "other"},
		ValuesKey:       "match_resource_values",
		RevealsPresence: true,
		Met:             matchResource,
	})
}

func matchResource(value string, s Situation) bool {
	switch s.Recipient {
	case RecipientLocal, RecipientUnknown:
	default:
		return false
	}
	reached, reachedAddressed := 0, false
	for _, r := range s.Available {
		if s.Reaches(r) {
			reached++
			reachedAddressed = reachedAddressed || (s.Full && r.Name == s.Resource)
		}
	}
	switch value {
	case "any":
		return len(s.Available) > 0
	case "exact":
		if s.Full {
			return reachedAddressed && reached == 1
		}
		return reached == 0
	case "other":
		if s.Full {
			return reached > 0 && !reachedAddressed
		}
		return reached > 0
	}
	return false
}
