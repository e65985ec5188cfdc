package presence

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// Update is what one presence stanza says about one resource.
type Update struct {
	Bare      string // normalised bare JID of the user
	Resource  string
	Available bool
	Priority  int
}

// ErrIgnored is returned by Parse for presence stanzas that say nothing about availability
// (subscriptions, probes, errors, presences without a full JID sender).
var ErrIgnored = errors.New("presence: stanza does not change availability")

// Parse reads a presence stanza. The priority is clamped to RFC 6121's −128…127; a missing or
// malformed priority is 0, as RFC 6121 §4.7.2.3 says.
func Parse(raw []byte) (Update, error) {
	root, err := xmlscan.Parse(raw)
	if err != nil {
		return Update{}, fmt.Errorf("presence: not well-formed: %w", err)
	}
	if string(root.Local()) != "presence" {
		return Update{}, fmt.Errorf("presence: <%s/> is not a presence", root.Local())
	}
	from, err := jid.Parse(root.AttrValue("from"))
	if err != nil {
		return Update{}, fmt.Errorf("presence: bad from: %w", err)
	}
	if from.Resourcepart() == "" || from.Localpart() == "" {
		return Update{}, ErrIgnored
	}
	u := Update{Bare: from.Bare().String(), Resource: from.Resourcepart()}
	switch root.AttrValue("type") {
	case "":
		u.Available = true
	case "unavailable":
		return u, nil
	default:
		return Update{}, ErrIgnored
	}
	for c := root.Children(); c.Next(); {
		el := c.Element()
		if string(el.Local()) != "priority" || len(el.Prefix()) != 0 {
			continue
		}
		text, err := el.Text()
		if err != nil {
			break
		}
		if p, err := strconv.Atoi(strings.TrimSpace(text)); err == nil {
			u.Priority = max(-128, min(127, p))
		}
		break
	}
	return u, nil
}
