package daemon

import (
	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/iq"
	"github.com/ampd-xmpp/ampd/route"
)

// park parks r until q is answered (iq.Pending sends q unless a query on the same subject is
// under way). The message bytes are copied: the component's read buffer is reused after the
// caller returns. Called with d.mu held.
func (d *Daemon) park(r *request, q iq.Query[*request]) {
	if !r.owned {
		// r may be the daemon's reusable request: park a copy with storage of its own.
		c := *r
		c.div.Message = append([]byte(nil), r.div.Message...)
		c.msg = amp.Message{}
		c.req.Message = &c.msg
		c.owned = true
		if c.req.Unreadable = amp.ParseMessage(c.div.Message, &c.msg); c.req.Unreadable != nil {
			d.resolve(&c) // cannot happen: the same bytes were read before
			return
		}
		r = &c
	}
	d.pending.Await(route.Key(r.div.Host, r.div.ID), r, q)
}

// lockedFlush runs f (a look-up's time-out) under d.mu and sends the verdicts it decided: no
// group of stanzas ends here to send them.
func (d *Daemon) lockedFlush(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f()
	d.batches.Flush()
}
