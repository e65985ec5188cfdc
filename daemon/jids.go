package daemon

import (
	"strings"

	"mellium.im/xmpp/jid"
)

// jidCache remembers parsed addresses. PRECIS normalisation (jid.Parse) costs more than the
// whole AMP decision, and the same senders and recipients write again and again.
type jidCache struct {
	entries map[string]parsedJID
	max     int
}

// parsedJID is an address with its normalised bare form, the key of presence and rosters.
type parsedJID struct {
	jid  jid.JID
	bare string
}

func newJIDCache(max int) *jidCache {
	return &jidCache{entries: make(map[string]parsedJID), max: max}
}

// parse returns s parsed. Not safe for concurrent use: called with d.mu held.
func (c *jidCache) parse(s string) (parsedJID, error) {
	if p, ok := c.entries[s]; ok {
		return p, nil
	}
	j, err := jid.Parse(s)
	if err != nil {
		return parsedJID{}, err
	}
	p := parsedJID{jid: j, bare: j.Bare().String()}
	if len(c.entries) >= c.max {
		clear(c.entries) // simpler than LRU, and a full refill costs one parse per address
	}
	// s is usually a substring of a whole stanza: clone it so the cache keeps only the address.
	c.entries[strings.Clone(s)] = p
	return p, nil
}
