package iq

import (
	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// AppendRosterQuery appends the get of owner's roster (RFC 6121 §2.1.3), sent by the
// component through its XEP-0356 roster permission.
func AppendRosterQuery(dst []byte, component, owner, id string) []byte {
	return AppendQuery(dst, component, owner, id, NSRoster)
}

// RosterItem is one roster entry as far as ampd reads it.
type RosterItem struct {
	JID          string
	Subscription string // none, to, from, both, remove
}

// PresenceSubscribers reads a roster result: the normalised bare JIDs with a from or both
// subscription, who may see the owner's presence. ok is false for an error answer (an
// unknown account, a refused permission); a result without a query is an empty roster.
// Items with an invalid JID are skipped.
func PresenceSubscribers(s *Stanza) (bare map[string]struct{}, ok bool) {
	if s == nil || s.Type != "result" {
		return nil, false
	}
	bare = make(map[string]struct{})
	q, found := s.root.Child(NSRoster, "query")
	if !found {
		return bare, true
	}
	for c := q.Children(); c.Next(); {
		item := c.Element()
		if !item.Is(NSRoster, "item") {
			continue
		}
		if sub := item.AttrValue("subscription"); sub != "from" && sub != "both" {
			continue
		}
		j, err := jid.Parse(item.AttrValue("jid"))
		if err != nil {
			continue
		}
		bare[j.Bare().String()] = struct{}{}
	}
	return bare, true
}

// AppendRosterResult appends a roster result with items, as a server answers a roster get.
// ampd does not send it; it is the inverse of PresenceSubscribers for tests and fakes.
func AppendRosterResult(dst []byte, from, to, id string, items []RosterItem) []byte {
	dst = appendStart(dst, from, to, id, "result")
	dst = append(dst, "><query xmlns='"+NSRoster+"'>"...)
	for _, it := range items {
		dst = append(dst, "<item jid='"...)
		dst = xmlscan.AppendEscaped(dst, it.JID)
		dst = append(dst, "' subscription='"...)
		dst = xmlscan.AppendEscaped(dst, it.Subscription)
		dst = append(dst, "'/>"...)
	}
	return append(dst, "</query></iq>"...)
}
