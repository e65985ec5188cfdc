package resolver

// target says which of the recipient's available resources a message would reach. Keeping
// the rule instead of a list lets a condition judge the destinations without building a slice.
type target uint8

const (
	toNobody      target = iota // stored, none, or leaving this server
	toAddressed                 // exactly the addressed resource (a full JID that is available)
	toTopPriority               // the available resources with the highest priority (≥ 0)
	toNonNegative               // every available resource with priority ≥ 0 (headline)
)

// fallback is what the server would do with the message without AMP: the default
// disposition, with the rule for its destinations.
type fallback struct {
	disposition Disposition
	target      target
	top         int    // the highest priority, for toTopPriority
	resource    string // the addressed resource, for toAddressed
}

// reaches reports whether the message would go to available resource r.
func (fb fallback) reaches(r Resource) bool {
	switch fb.target {
	case toAddressed:
		return r.Name == fb.resource
	case toTopPriority:
		return r.Priority == fb.top
	case toNonNegative:
		return r.Priority >= 0
	}
	return false
}

// destinations lists the resources the message would go to, nil if none.
func (fb fallback) destinations(available []Resource) []string {
	if fb.target == toNobody {
		return nil
	}
	if fb.target == toAddressed {
		return []string{fb.resource}
	}
	var out []string
	for _, r := range available {
		if fb.reaches(r) {
			out = append(out, r.Name)
		}
	}
	return out
}

// DefaultDisposition returns what the server would do with the message without AMP and the
// resources it would go to (amp-semantics §3; RFC 6121 §8.5 for a local account). It does
// nothing; it only predicts.
func DefaultDisposition(in Input) (Disposition, []string) {
	full, resource := addressedResource(in)
	fb := defaultFallback(in, full, resource)
	return fb.disposition, fb.destinations(in.Available)
}

// addressedResource reports whether the message is addressed to a full JID and which
// resource. Resourcepart allocates, so it is called only for full JIDs.
func addressedResource(in Input) (full bool, resource string) {
	if in.To.Equal(in.To.Bare()) {
		return false, ""
	}
	return true, in.To.Resourcepart()
}

func defaultFallback(in Input, full bool, resource string) fallback {
	switch {
	case in.Facts.Forwarded:
		return fallback{disposition: Forward}
	case in.Facts.Gateway:
		return fallback{disposition: Gateway}
	}
	switch in.Facts.Recipient {
	case RecipientLocal:
		return localFallback(in, full, resource)
	case RecipientUnknown:
		return fallback{disposition: None} // the server bounces it as usual
	default: // remote: routed to the next hop; service: handed to the component
		return fallback{disposition: Direct}
	}
}

// localRoute is the table of amp-semantics §3 for an existing local account.
func localFallback(in Input, full bool, resource string) fallback {
	kind := messageType(in)
	if full {
		for _, r := range in.Available {
			if r.Name == resource { // any priority, negative included
				return fallback{disposition: Direct, target: toAddressed, resource: resource}
			}
		}
		if kind == headline || kind == groupchat {
			return fallback{disposition: None}
		}
		// chat, normal: as if sent to the bare JID
	}

	top, anyNonNegative := highestPriority(in.Available)
	switch kind {
	case groupchat:
		return fallback{disposition: None}
	case headline:
		if anyNonNegative {
			return fallback{disposition: Direct, target: toNonNegative}
		}
		return fallback{disposition: None}
	}
	if anyNonNegative {
		return fallback{disposition: Direct, target: toTopPriority, top: top}
	}
	if in.Facts.OfflineStorage {
		return fallback{disposition: Stored}
	}
	return fallback{disposition: None}
}

// highestPriority returns the highest priority among the available resources and whether
// any of them has a non-negative priority (only those receive messages to the bare JID).
func highestPriority(available []Resource) (top int, anyNonNegative bool) {
	for _, r := range available {
		if r.Priority < 0 {
			continue
		}
		if !anyNonNegative || r.Priority > top {
			top, anyNonNegative = r.Priority, true
		}
	}
	return top, anyNonNegative
}

// messageKind is the message type as RFC 6121 §8.5 distinguishes it.
type messageKind uint8

const (
	normal messageKind = iota // normal, absent, and any unknown type (RFC 6120 §8.2.3 / RFC 6121 §5.2.2)
	chat
	headline
	groupchat
)

func messageType(in Input) messageKind {
	if in.Message == nil {
		return normal
	}
	switch in.Message.Type.Value {
	case "chat":
		return chat
	case "headline":
		return headline
	case "groupchat":
		return groupchat
	}
	return normal
}
