package route

import (
	"errors"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Truncated is what the first bytes of a divert too large to read whole tell: enough to
// answer it (a verdict for its route, an error to its sender) rather than let the module wait
// for a verdict that cannot come.
type Truncated struct {
	Host string // the server host that diverted it (the outer message's from)
	ID   string // ROUTE-ID: the outer message's id, which the modules set to the route id
	// The inner message's sender and id, "" when the prefix ends before its start tag.
	From, MessageID string
}

// ErrNoRouteID is returned by ParseTruncated when the prefix does not show a divert's host
// and route id: nothing can be answered.
var ErrNoRouteID = errors.New("route: the stanza's first bytes show no divert (host, route id and <forwarded/>)")

// ParseTruncated reads the start tags at the head of a divert's first bytes (prefix is cut
// anywhere, so it is not well-formed: the scan stops where it ends). It must show a message
// from a host, with an id, whose <forwarded/> has begun; the inner message is read when its
// whole start tag is there.
func ParseTruncated(prefix []byte) (Truncated, error) {
	var (
		s         xmlscan.Scanner
		t         Truncated
		inForward bool
	)
	s.Reset(prefix)
	for s.Next() {
		if !s.IsStart() {
			continue
		}
		switch {
		case s.Depth() == 1:
			if string(s.Name()) != "message" {
				return Truncated{}, ErrNoRouteID
			}
			it := s.Attrs()
			for it.Next() {
				switch string(it.Name()) {
				case "from":
					t.Host = value(prefix, &it)
				case "id":
					t.ID = value(prefix, &it)
				}
			}
		case s.Depth() == 2 && s.Is(NSForward, "forwarded"):
			inForward = true
		case s.Depth() == 3 && inForward && isClientNS(&s):
			it := s.Attrs()
			for it.Next() {
				switch string(it.Name()) {
				case "from":
					t.From = value(prefix, &it)
				case "id":
					t.MessageID = value(prefix, &it)
				}
			}
		}
		if t.From != "" || s.Depth() > 3 {
			break
		}
	}
	if t.Host == "" || t.ID == "" || !inForward {
		return Truncated{}, ErrNoRouteID
	}
	return t, nil
}
