package iq

// Component is what the component says of itself in disco#info.
var Component = DiscoInfo{
	Identities: []Identity{{Category: "component", Type: "generic", Name: "ampd (XEP-0079 Advanced Message Processing)"}},
	Features:   []string{NSDiscoInfo, NSPing},
}

// AppendAnswer appends the answer to a get or set addressed to the component: disco#info
// (without a node) and ping are answered, anything else gets service-unavailable
// (RFC 6120 §8.4). The answer goes back to the query's sender, from its recipient.
func AppendAnswer(dst []byte, q *Stanza) []byte {
	payload, _ := q.payload()
	switch {
	case q.Type == "get" && payload.Is(NSDiscoInfo, "query") && payload.AttrValue("node") == "":
		return AppendDiscoInfoResult(dst, q.To, q.From, q.ID, Component)
	case q.Type == "get" && payload.Is(NSPing, "ping"):
		return append(appendStart(dst, q.To, q.From, q.ID, "result"), "/>"...)
	}
	dst = appendStart(dst, q.To, q.From, q.ID, "error")
	return append(dst, "><error type='cancel'><service-unavailable xmlns='"+NSStanzas+"'/></error></iq>"...)
}
