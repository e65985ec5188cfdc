package resolver

// target says which of the recipient's available resources a message would reach. Keeping
// the rule instead of a list lets match-resource be judged without building a slice.
type target uint8

const (
	toNobody      target = iota // stored, none, or leaving this server
	toAddressed                 // exactly the addressed resource (a full JID that is available)
	toTopPriority               // the available resources with the highest priority (≥ 0)
	toNonNegative               // every available resource with priority ≥ 0 (headline)
)

// route is the default disposition with the rule for its destinations.
type route struct {
	disposition Disposition
	target      target
	top         int    // the highest priority, for toTopPriority
	resource    string // the addressed resource, for toAddressed
}

// reaches reports whether the message would go to available resource r.
func (rt route) reaches(r Resource) bool {
	switch rt.target {
	case toAddressed:
		return r.Name == rt.resource
	case toTopPriority:
		return r.Priority == rt.top
	case toNonNegative:
		return r.Priority >= 0
	}
	return false
}

// destinations lists the resources the message would go to, nil if none.
func (rt route) destinations(available []Resource) []string {
	if rt.target == toNobody {
		return nil
	}
	if rt.target == toAddressed {
		return []string{rt.resource}
	}
	var out []string
	for _, r := range available {
		if rt.reaches(r) {
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
	rt := defaultRoute(in, full, resource)
	return rt.disposition, rt.destinations(in.Available)
}

// addressedResource reports whether the message is addressed to a full JID and which
// resource. Resourcepart allocates, so it is called only for full JIDs.
func addressedResource(in Input) (full bool, resource string) {
	if in.To.Equal(in.To.Bare()) {
		return false, ""
	}
	return true, in.To.Resourcepart()
}

func defaultRoute(in Input, full bool, resource string) route {
	switch {
	case in.Facts.Forwarded:
		return route{disposition: Forward}
	case in.Facts.Gateway:
		return route{disposition: Gateway}
	}
	switch in.Facts.Recipient {
	case RecipientLocal:
		return localRoute(in, full, resource)
	case RecipientUnknown:
		return route{disposition: None} // the server bounces it as usual
	default: // remote: routed to the next hop; service: handed to the component
		return route{disposition: Direct}
	}
}

// localRoute is the table of amp-semantics §3 for an existing local account.
func localRoute(in Input, full bool, resource string) route {
	kind := messageType(in)
	if full {
		for _, r := range in.Available {
			if r.Name == resource { // any priority, negative included
				return route{disposition: Direct, target: toAddressed, resource: resource}
			}
		}
		if kind == headline || kind == groupchat {
			return route{disposition: None}
		}
		// chat, normal: as if sent to the bare JID
	}

	top, anyNonNegative := highestPriority(in.Available)
	switch kind {
	case groupchat:
		return route{disposition: None}
	case headline:
		if anyNonNegative {
			return route{disposition: Direct, target: toNonNegative}
		}
		return route{disposition: None}
	}
	if anyNonNegative {
		return route{disposition: Direct, target: toTopPriority, top: top}
	}
	if in.Facts.OfflineStorage {
		return route{disposition: Stored}
	}
	return route{disposition: None}
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
