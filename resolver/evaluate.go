package resolver

import (
	"time"

	"github.com/ampd-xmpp/ampd/amp"
)

// firstMet returns the index of the first rule whose condition is met, -1 if none: the first
// met rule decides, whatever its action (Decision D2).
func firstMet(in Input, rt route, full bool, resource string) int {
	for i, r := range in.Message.Amp.Rules {
		if met(r, in, rt, full, resource) {
			return i
		}
	}
	return -1
}

// met reports whether the condition of a valid rule holds (amp-semantics §4).
func met(r amp.Rule, in Input, rt route, full bool, resource string) bool {
	switch r.Condition.Value {
	case "deliver":
		return string(rt.disposition) == r.Value.Value
	case "expire-at":
		return expired(r.Value.Value, in.Now)
	case "match-resource":
		return matchResource(r.Value.Value, in, rt, full, resource)
	}
	return false
}

// expired reports whether the dispatch time now is on or after the expire-at value.
func expired(value string, now time.Time) bool {
	t, ok := parseUTCDateTime(value)
	return ok && !now.Before(t)
}

// matchResource judges match-resource on the actual destination of the message (Decision
// D4). It is judged only where ampd is the recipient's edge server: for a remote recipient
// it is not applicable and never met, per-hop or not (Decision D5), and neither is it for a
// service, whose resources ampd does not know.
func matchResource(value string, in Input, rt route, full bool, resource string) bool {
	switch in.Facts.Recipient {
	case RecipientLocal, RecipientUnknown:
	default:
		return false
	}
	available := in.Available
	if in.Facts.Recipient == RecipientUnknown {
		available = nil // no such account, no resources, whatever the caller passed
	}
	reached, reachedAddressed := 0, false
	for _, r := range available {
		if rt.reaches(r) {
			reached++
			reachedAddressed = reachedAddressed || (full && r.Name == resource)
		}
	}
	switch value {
	case "any":
		return len(available) > 0
	case "exact":
		if full {
			return reachedAddressed && reached == 1
		}
		return reached == 0
	case "other":
		if full {
			return reached > 0 && !reachedAddressed
		}
		return reached > 0
	}
	return false
}

func hasExpireAt(rules []amp.Rule) bool {
	for _, r := range rules {
		if r.Condition.Value == "expire-at" {
			return true
		}
	}
	return false
}
