package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

const (
	nsAMP     = "http://jabber.org/protocol/amp"
	nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	// XEP-0356 privilege advertisements.
	nsPrivilege1 = "urn:xmpp:privilege:1"
	nsPrivilege2 = "urn:xmpp:privilege:2"
	clientWait   = 30 * time.Second // one login, under a server that has just restarted
)

// peer is one account's session. Clients have no stream management, so a server restart ends
// the session; the soak logs it in again (reconnect) once the server is back.
type peer struct {
	user, pass, resource string
	host, addr           string
	led                  *ledger

	mu     sync.Mutex
	client *c2stest.Client
	online bool // should be logged in (and available)
}

func (p *peer) bare() string { return p.user + "@" + p.host }
func (p *peer) full() string { return p.bare() + "/" + p.resource }

// login opens a session, starts its reader and sends available presence (priority 0, so
// that a bare-JID message goes to it). It returns the moment the presence was sent.
func (p *peer) login(ctx context.Context) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, clientWait)
	defer cancel()
	c, err := c2stest.Dial(ctx, p.addr, p.user, p.host, p.pass, p.resource)
	if err != nil {
		return time.Time{}, fmt.Errorf("log in as %s: %w", p.full(), err)
	}
	go p.read(c)
	at := time.Now()
	if err := c.Presence(0); err != nil {
		c.Close()
		return time.Time{}, fmt.Errorf("presence of %s: %w", p.full(), err)
	}
	p.mu.Lock()
	p.client, p.online = c, true
	p.mu.Unlock()
	return at, nil
}

// send writes raw on the current session.
func (p *peer) send(raw string) error {
	p.mu.Lock()
	c := p.client
	p.mu.Unlock()
	if c == nil {
		return fmt.Errorf("%s is not logged in", p.full())
	}
	return c.SendRaw(raw)
}

// close ends the session (at the end of the run).
func (p *peer) close() {
	p.mu.Lock()
	c := p.client
	p.client = nil
	p.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// read files every message the session receives until the stream ends (a server restart,
// or close).
func (p *peer) read(c *c2stest.Client) {
	for {
		st, err := c.Expect(context.Background(), c2stest.Any)
		if err != nil {
			return
		}
		at := time.Now()
		kind, id, ok := classify(st)
		if !ok {
			continue
		}
		p.led.seen(id, Observation{Kind: kind, At: at, Client: p.full(), Raw: string(st.Raw)})
	}
}

// classify names what a received stanza is for the accounting; ok is false for what the
// accounting ignores (presence, iq, stream elements).
func classify(s c2stest.Stanza) (kind, id string, ok bool) {
	if s.Name != "message" {
		return "", "", false
	}
	if s.ID == "" && (s.Has(nsPrivilege2, "privilege") || s.Has(nsPrivilege1, "privilege")) {
		// Prosody's mod_privilege sends every session that becomes available an (empty)
		// privilege advertisement; it is about no message.
		return "", "", false
	}
	if amp := s.Child(nsAMP, "amp"); amp != nil {
		if status := attrOf(amp, "status"); status != "" {
			return status + "/" + ruleCondition(amp), s.ID, true
		}
	}
	if s.Type == "error" {
		if s.Find(nsStanzas, "service-unavailable") != nil {
			return KindBounce, s.ID, true
		}
		return KindOther, s.ID, true
	}
	if s.ChildText(c2stest.NSClient, "body") != "" {
		return KindDelivered, s.ID, true
	}
	return KindOther, s.ID, true
}

// ruleCondition returns the condition of the first <rule/> of an <amp/> element.
func ruleCondition(amp []byte) string {
	i := bytes.Index(amp, []byte("<rule"))
	if i < 0 {
		return ""
	}
	return attrOf(amp[i:], "condition")
}

// attrOf reads attribute name of the first start tag in raw (either quote).
func attrOf(raw []byte, name string) string {
	end := bytes.IndexByte(raw, '>')
	if end < 0 {
		return ""
	}
	tag := raw[:end]
	for _, q := range []string{"'", `"`} {
		key := []byte(" " + name + "=" + q)
		if i := bytes.Index(tag, key); i >= 0 {
			rest := tag[i+len(key):]
			if j := bytes.Index(rest, []byte(q)); j >= 0 {
				return string(rest[:j])
			}
		}
	}
	return ""
}
