package daemon

import "github.com/ampd-xmpp/ampd/iq"

// iqStanza answers queries addressed to the component and hands answers to ampd's own
// queries to the look-up waiting for them.
func (d *Daemon) iqStanza(raw []byte) {
	s, err := iq.Parse(raw)
	if err != nil {
		d.skip("malformed", err.Error(), raw)
		return
	}
	if s.IsAnswer() {
		d.mu.Lock()
		d.pending.answer(&s)
		d.mu.Unlock()
		return
	}
	d.send(iq.AppendAnswer(nil, &s))
}
