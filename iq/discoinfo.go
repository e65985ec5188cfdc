package iq

import "github.com/ampd-xmpp/ampd/xmlscan"

// DiscoInfo is what a disco#info answer says about an entity.
type DiscoInfo struct {
	Identities []Identity
	Features   []string // the var of each feature, in document order
}

// Identity is one <identity/> of a disco#info answer.
type Identity struct {
	Category, Type, Name string
}

// HasFeature reports whether info lists the feature var.
func (info DiscoInfo) HasFeature(v string) bool {
	for _, f := range info.Features {
		if f == v {
			return true
		}
	}
	return false
}

// HasCategory reports whether info has an identity of the category.
func (info DiscoInfo) HasCategory(category string) bool {
	for _, id := range info.Identities {
		if id.Category == category {
			return true
		}
	}
	return false
}

// ParseDiscoInfo reads a disco#info answer; answered is false for an error answer. Only the
// identities and features inside the disco#info query count.
func ParseDiscoInfo(s *Stanza) (info DiscoInfo, answered bool) {
	if s == nil || s.Type != "result" {
		return DiscoInfo{}, false
	}
	q, ok := s.root.Child(NSDiscoInfo, "query")
	if !ok {
		return DiscoInfo{}, true
	}
	for c := q.Children(); c.Next(); {
		e := c.Element()
		switch {
		case e.Is(NSDiscoInfo, "identity"):
			info.Identities = append(info.Identities, Identity{Category: e.AttrValue("category"), Type: e.AttrValue("type"), Name: e.AttrValue("name")})
		case e.Is(NSDiscoInfo, "feature"):
			info.Features = append(info.Features, e.AttrValue("var"))
		}
	}
	return info, true
}

// AppendDiscoInfoResult appends the disco#info result from → to describing info. An
// identity's empty name is left out.
func AppendDiscoInfoResult(dst []byte, from, to, id string, info DiscoInfo) []byte {
	dst = appendStart(dst, from, to, id, "result")
	dst = append(dst, "><query xmlns='"+NSDiscoInfo+"'>"...)
	for _, ident := range info.Identities {
		dst = append(dst, "<identity category='"...)
		dst = xmlscan.AppendEscaped(dst, ident.Category)
		dst = append(dst, "' type='"...)
		dst = xmlscan.AppendEscaped(dst, ident.Type)
		if ident.Name != "" {
			dst = append(dst, "' name='"...)
			dst = xmlscan.AppendEscaped(dst, ident.Name)
		}
		dst = append(dst, "'/>"...)
	}
	for _, f := range info.Features {
		dst = append(dst, "<feature var='"...)
		dst = xmlscan.AppendEscaped(dst, f)
		dst = append(dst, "'/>"...)
	}
	return append(dst, "</query></iq>"...)
}
