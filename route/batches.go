package route

// MaxBatchBytes bounds one message of verdicts: a host's batch is sent as soon as it is this
// large, so that a long burst does not wait for the end of its group.
const MaxBatchBytes = 32 << 10

// Batches gathers verdicts and sends them as one message per host (the protocol allows
// several <verdict/> per message): the server then receives and routes one stanza per group
// of diverts instead of one per verdict. Not safe for concurrent use.
type Batches struct {
	component string
	send      func(msg []byte) // must copy msg: its buffer is reused
	hosts     []hostBatch      // a handful at most: the hosts ampd serves
	msg       []byte           // scratch for the message being sent
}

type hostBatch struct {
	host     string
	verdicts []byte // <verdict/> elements not sent yet
}

// NewBatches returns batches of verdicts from component, sent with send.
func NewBatches(component string, send func(msg []byte)) *Batches {
	return &Batches{component: component, send: send}
}

// Add adds route id's answer to host's batch, sending the batch once it is MaxBatchBytes.
// Flush sends the rest.
func (b *Batches) Add(host, id string, a Answer) {
	h := b.batch(host)
	h.verdicts = AppendVerdictElement(h.verdicts, id, a.Verdict, a.Strip, a.Reply)
	if len(h.verdicts) >= MaxBatchBytes {
		b.sendBatch(h)
	}
}

func (b *Batches) batch(host string) *hostBatch {
	for i := range b.hosts {
		if b.hosts[i].host == host {
			return &b.hosts[i]
		}
	}
	b.hosts = append(b.hosts, hostBatch{host: host})
	return &b.hosts[len(b.hosts)-1]
}

// Flush sends every gathered verdict.
func (b *Batches) Flush() {
	for i := range b.hosts {
		if h := &b.hosts[i]; len(h.verdicts) > 0 {
			b.sendBatch(h)
		}
	}
}

func (b *Batches) sendBatch(h *hostBatch) {
	m := AppendBatchOpen(b.msg[:0], b.component, h.host)
	m = append(m, h.verdicts...)
	m = AppendBatchClose(m)
	b.send(m)
	b.msg = m
	h.verdicts = h.verdicts[:0]
	if cap(h.verdicts) > 4*MaxBatchBytes {
		h.verdicts = nil // a huge reply went through: do not keep its buffer
	}
}
