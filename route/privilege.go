package route

import "github.com/ampd-xmpp/ampd/xmlscan"

// Namespaces of XEP-0356 (Privileged Entity): Prosody 0.12 announces :2, ejabberd 23.01 :1.
const (
	NSPrivilege1 = "urn:xmpp:privilege:1"
	NSPrivilege2 = "urn:xmpp:privilege:2"
)

// Privilege is the server's XEP-0356 permission announcement to the component.
type Privilege struct {
	Host      string // the server host that granted it
	Namespace string // urn:xmpp:privilege:1 or :2, to answer in the same
	Presence  string // the presence permission: managed_entity, roster, none
	Roster    string // the roster permission: get, set, both, none
}

// ParsePrivilege reads a permission announcement; ok is false for any other stanza.
func ParsePrivilege(raw []byte) (p Privilege, ok bool) {
	root, err := xmlscan.Parse(raw)
	if err != nil || string(root.Local()) != "message" {
		return Privilege{}, false
	}
	for c := root.Children(); c.Next(); {
		el := c.Element()
		switch {
		case el.Is(NSPrivilege2, "privilege"):
			p.Namespace = NSPrivilege2
		case el.Is(NSPrivilege1, "privilege"):
			p.Namespace = NSPrivilege1
		default:
			continue
		}
		p.Host = root.AttrValue("from")
		for pc := el.Children(); pc.Next(); {
			perm := pc.Element()
			if string(perm.Local()) != "perm" {
				continue
			}
			switch perm.AttrValue("access") {
			case "presence":
				p.Presence = perm.AttrValue("type")
			case "roster":
				p.Roster = perm.AttrValue("type")
			}
		}
		return p, true
	}
	return Privilege{}, false
}
