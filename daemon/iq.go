package daemon

import (
	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Namespaces of the iq queries the component answers itself.
const (
	nsDiscoInfo = "http://jabber.org/protocol/disco#info"
	nsPing      = "urn:xmpp:ping"
	nsStanzas   = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// iq answers queries addressed to the component and routes answers to ampd's own queries.
func (d *Daemon) iq(raw []byte) {
	root, err := xmlscan.Parse(raw)
	if err != nil {
		d.skip("malformed", err.Error(), raw)
		return
	}
	id := root.AttrValue("id")
	switch typ := root.AttrValue("type"); typ {
	case "result", "error":
		d.mu.Lock()
		d.pending.answer(id, &root)
		d.mu.Unlock()
	case "get", "set":
		d.send(d.answerIQ(&root, typ, id))
	default:
		d.skip("malformed", "iq without a valid type", raw)
	}
}

// answerIQ returns the answer to a get or set addressed to the component: disco#info and ping
// are answered, anything else gets service-unavailable (RFC 6120 §8.4).
func (d *Daemon) answerIQ(root *xmlscan.Element, typ, id string) []byte {
	from, to := root.AttrValue("from"), root.AttrValue("to")
	b := []byte("<iq from='")
	b = xmlscan.AppendEscaped(b, to)
	b = append(b, "' to='"...)
	b = xmlscan.AppendEscaped(b, from)
	b = append(b, "' id='"...)
	b = xmlscan.AppendEscaped(b, id)
	var payload xmlscan.Element
	for c := root.Children(); c.Next(); {
		payload = c.Element()
		break
	}
	switch {
	case typ == "get" && payload.Is(nsDiscoInfo, "query") && payload.AttrValue("node") == "":
		b = append(b, "' type='result'><query xmlns='"+nsDiscoInfo+"'>"+
			"<identity category='component' type='generic' name='ampd (XEP-0079 Advanced Message Processing)'/>"+
			"<feature var='"+nsDiscoInfo+"'/><feature var='"+nsPing+"'/></query></iq>"...)
	case typ == "get" && payload.Is(nsPing, "ping"):
		b = append(b, "' type='result'/>"...)
	default:
		b = append(b, "' type='error'><error type='cancel'><service-unavailable xmlns='"+nsStanzas+"'/></error></iq>"...)
	}
	return b
}

// queryGet builds an iq get carrying an empty <query xmlns=ns/>: ampd's own lookups (rosters,
// disco#info).
func queryGet(from, to, id, ns string) []byte {
	b := []byte("<iq type='get' from='")
	b = xmlscan.AppendEscaped(b, from)
	b = append(b, "' to='"...)
	b = xmlscan.AppendEscaped(b, to)
	b = append(b, "' id='"...)
	b = xmlscan.AppendEscaped(b, id)
	b = append(b, "'><query xmlns='"...)
	b = xmlscan.AppendEscaped(b, ns)
	return append(b, "'/></iq>"...)
}
