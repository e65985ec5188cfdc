package route

import "github.com/ampd-xmpp/ampd/xmlscan"

// ParseAbandoned reads the server module's notices that it gave up on a request before
// ampd's verdict reached it (route protocol §8),
// <message from='HOST'><abandoned xmlns='urn:x-ampd:route:0' route='ROUTE-ID'/>…</message>,
// and returns the host and the route ids (several may travel in one message); ok is false
// for any other stanza.
func ParseAbandoned(raw []byte) (host string, routes []string, ok bool) {
	root, err := xmlscan.Parse(raw)
	if err != nil || string(root.Local()) != "message" {
		return "", nil, false
	}
	for c := root.Children(); c.Next(); {
		el := c.Element()
		if el.Is(NS, "abandoned") {
			if id := el.AttrValue("route"); id != "" {
				routes = append(routes, id)
			}
		}
	}
	return root.AttrValue("from"), routes, len(routes) > 0
}

// Key scopes a route id by the host that diverted it: ids are unique per server process only.
func Key(host, id string) string { return host + "\x00" + id }
