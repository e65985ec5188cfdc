package route

import "github.com/ampd-xmpp/ampd/xmlscan"

// ParseReinjected reads the server module's acknowledgements of re-injects,
// <message from='HOST'><reinjected xmlns='urn:x-ampd:route:0' id='KEY'/>…</message>, and returns
// their ids (several may travel in one message); ok is false for any other stanza.
func ParseReinjected(raw []byte) (ids []string, ok bool) {
	root, err := xmlscan.Parse(raw)
	if err != nil || string(root.Local()) != "message" {
		return nil, false
	}
	for c := root.Children(); c.Next(); {
		el := c.Element()
		if el.Is(NS, "reinjected") {
			if id := el.AttrValue("id"); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids, len(ids) > 0
}
