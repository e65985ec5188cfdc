package presence

import (
	"strings"

	"mellium.im/xmpp/jid"
)

// Addresses remembers parsed addresses. PRECIS normalisation (jid.Parse) costs more than the
// whole AMP decision, and the same senders and recipients write again and again. Not safe
// for concurrent use.
type Addresses struct {
	entries map[string]Address
	max     int
}

// Address is a parsed address with its normalised bare form, the key of the presence table
// and of rosters.
type Address struct {
	JID  jid.JID
	Bare string
}

// NewAddresses returns a cache of at most max addresses.
func NewAddresses(max int) *Addresses {
	return &Addresses{entries: make(map[string]Address), max: max}
}

// Parse returns s parsed.
func (c *Addresses) Parse(s string) (Address, error) {
	if p, ok := c.entries[s]; ok {
		return p, nil
	}
	j, err := jid.Parse(s)
	if err != nil {
		return Address{}, err
	}
	p := Address{JID: j, Bare: j.Bare().String()}
	if len(c.entries) >= c.max {
		clear(c.entries) // simpler than LRU, and a full refill costs one parse per address
	}
	// s is usually a substring of a whole stanza: clone it so the cache keeps only the address.
	c.entries[strings.Clone(s)] = p
	return p, nil
}
