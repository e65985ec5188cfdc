package route

import "github.com/ampd-xmpp/ampd/xmlscan"

// AppendDiscoInfoQuery appends ampd's request that the server module ask domain for its
// disco#info on ampd's behalf, from the server's own domain (host), and relay the answer under
// id (see ParseDiscoInfoResult). ampd needs the answer for the §8 next hop and the gateway
// check; it does not send the iq itself because ejabberd 24.10 and later drop IQs a component
// sends to domains that did not grant it privileges, while the server's own are routed.
func AppendDiscoInfoQuery(dst []byte, component, host, id, domain string) []byte {
	dst = appendOpen(dst, component, host)
	dst = append(dst, "<disco-info xmlns='"+NS+"' id='"...)
	dst = xmlscan.AppendEscaped(dst, id)
	dst = append(dst, "' to='"...)
	dst = xmlscan.AppendEscaped(dst, domain)
	return append(dst, "'/></message>"...)
}

// ParseDiscoInfoResult reads the server module's relay of a disco#info answer,
// <message from='HOST'><disco-info-result xmlns='urn:x-ampd:route:0' id='ID'><iq
// xmlns='jabber:client' type='result|error' from='DOMAIN' …/></disco-info-result></message>:
// the id ampd gave in AppendDiscoInfoQuery and the answer iq as the domain sent it (an error iq
// when the domain failed or did not answer in the module's time). The element points into raw.
// ok is false for any other stanza, and for a relay without an id or an iq.
func ParseDiscoInfoResult(raw []byte) (id string, answer xmlscan.Element, ok bool) {
	root, err := xmlscan.Parse(raw)
	if err != nil || string(root.Local()) != "message" {
		return "", xmlscan.Element{}, false
	}
	result, found := root.Child(NS, "disco-info-result")
	if !found {
		return "", xmlscan.Element{}, false
	}
	id = result.AttrValue("id")
	iq, found := result.Child(NSClient, "iq")
	if id == "" || !found {
		return "", xmlscan.Element{}, false
	}
	return id, iq, true
}
