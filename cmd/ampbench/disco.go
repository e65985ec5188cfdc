package main

import (
	"bytes"
	"sync/atomic"

	"github.com/ampd-xmpp/ampd/component/componenttest"
)

// serverSide answers the queries ampd sends through the server, as the server (and the remote
// servers behind it) would: a disco#info of a remote domain advertises AMP, so messages to
// remote recipients are delivered. ampd caches the answer per domain (amp.remote_cache_ttl),
// so this costs one round trip per remote domain, not one per message.
type serverSide struct {
	discoAnswered atomic.Int64
	otherIQs      atomic.Int64 // iqs ampd sent that a load run does not expect (e.g. roster gets)
}

const nsDiscoInfo = "http://jabber.org/protocol/disco#info"

// iq answers one iq from ampd; it reports false for stanzas that are not iqs.
func (s *serverSide) iq(c *componenttest.Conn, raw []byte) bool {
	if !bytes.HasPrefix(raw, []byte("<iq")) {
		return false
	}
	tag := raw[:bytes.IndexByte(raw, '>')+1]
	if !bytes.Contains(tag, []byte("type='get'")) || !bytes.Contains(raw, []byte(nsDiscoInfo)) {
		s.otherIQs.Add(1)
		return true
	}
	from, to, id := attr(tag, []byte(" from='")), attr(tag, []byte(" to='")), attr(tag, []byte(" id='"))
	answer := "<iq type='result' from='" + string(to) + "' to='" + string(from) + "' id='" + string(id) + "'>" +
		"<query xmlns='" + nsDiscoInfo + "'><identity category='server' type='im'/>" +
		"<feature var='" + nsDiscoInfo + "'/><feature var='http://jabber.org/protocol/amp'/></query></iq>"
	if err := c.Send(answer); err == nil {
		s.discoAnswered.Add(1)
	}
	return true
}
