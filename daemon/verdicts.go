package daemon

import "github.com/ampd-xmpp/ampd/route"

// maxBatchBytes bounds one message of verdicts: a host's batch is sent as soon as it is this
// large, so that a long burst does not wait for the end of its group.
const maxBatchBytes = 32 << 10

// verdictBatches gathers the verdicts decided while one group of stanzas is handled and sends
// them as one message per host (the protocol allows several <verdict/> per message): the
// server then receives and routes one stanza per group instead of one per verdict. Guarded by
// Daemon.mu.
type verdictBatches struct {
	hosts []hostBatch // a handful at most: the hosts ampd serves
	msg   []byte      // scratch for the message being sent
}

type hostBatch struct {
	host     string
	verdicts []byte // <verdict/> elements not sent yet
}

// queueVerdict adds route id's verdict to host's batch. It is sent by flushVerdicts, at the
// latest when the component has handled the stanzas that arrived together (handler.Idle) or a
// timer has decided parked requests. Called with d.mu held.
func (d *Daemon) queueVerdict(host, id string, v verdictRecord) {
	b := d.batch(host)
	b.verdicts = route.AppendVerdictElement(b.verdicts, id, v.verdict, v.strip, v.reply)
	if len(b.verdicts) >= maxBatchBytes {
		d.sendBatch(b)
	}
}

func (d *Daemon) batch(host string) *hostBatch {
	for i := range d.batches.hosts {
		if d.batches.hosts[i].host == host {
			return &d.batches.hosts[i]
		}
	}
	d.batches.hosts = append(d.batches.hosts, hostBatch{host: host})
	return &d.batches.hosts[len(d.batches.hosts)-1]
}

// flushVerdicts sends every gathered verdict. Called with d.mu held.
func (d *Daemon) flushVerdicts() {
	for i := range d.batches.hosts {
		if b := &d.batches.hosts[i]; len(b.verdicts) > 0 {
			d.sendBatch(b)
		}
	}
}

func (d *Daemon) sendBatch(b *hostBatch) {
	m := route.AppendBatchOpen(d.batches.msg[:0], d.domain, b.host)
	m = append(m, b.verdicts...)
	m = route.AppendBatchClose(m)
	d.send(m) // copies m
	d.batches.msg = m
	b.verdicts = b.verdicts[:0]
	if cap(b.verdicts) > 4*maxBatchBytes {
		b.verdicts = nil // a huge reply went through: do not keep its buffer
	}
}
