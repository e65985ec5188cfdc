package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// State is where a held message is in its life (see the package documentation).
type State uint8

// The states of a record.
const (
	// Held: waiting for its recipient or for an expire-at deadline.
	Held State = 1
	// Releasing: the release to the recipient is decided and may have been sent.
	Releasing State = 2
	// Expiring: the action of expire-at rule Record.Rule is decided and may have been sent.
	Expiring State = 3
)

func (s State) String() string {
	switch s {
	case Held:
		return "held"
	case Releasing:
		return "releasing"
	case Expiring:
		return "expiring"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Deadline is the deadline of one expire-at rule of a held message.
type Deadline struct {
	Rule int       // index of the rule in the message's <amp/>
	At   time.Time // the rule's value, parsed
}

// Record is one held message.
type Record struct {
	ID   uint64 // assigned by Put, monotonic, never reused
	Host string // the server host that diverted the message
	// Route is the server module's ROUTE-ID of the divert, so that a re-divert of the same
	// message (after a crash before the verdict went out) is recognised and not held twice.
	Route     string
	Recipient string // the recipient's bare JID, normalised
	Message   []byte // the message exactly as diverted
	Received  time.Time
	Deadlines []Deadline // every expire-at rule, in document order
	// Fired lists the notify rules whose notification has gone out (notify fires once).
	Fired []int
	State State
	// Rule is the expire-at rule being carried out while State is Expiring, else -1.
	Rule int
}

// HasFired reports whether the notify rule with index rule has already fired.
func (r *Record) HasFired(rule int) bool {
	for _, f := range r.Fired {
		if f == rule {
			return true
		}
	}
	return false
}

// NextDeadline returns the earliest deadline of a rule that has not fired, and false when
// there is none.
func (r *Record) NextDeadline() (time.Time, bool) {
	var next time.Time
	found := false
	for _, d := range r.Deadlines {
		if r.HasFired(d.Rule) {
			continue
		}
		if !found || d.At.Before(next) {
			next, found = d.At, true
		}
	}
	return next, found
}

// The encoding of a record value (the key is the ID, 8 bytes big-endian):
//
//	magic "AMPH", version 1, state, rule+1 (uvarint), received (varint unix nanos),
//	host, route, recipient, message (uvarint length + bytes each),
//	deadlines (uvarint count, then rule uvarint + varint unix nanos each),
//	fired (uvarint count, then rule uvarint each),
//	CRC-32C of everything before it (4 bytes big-endian).
//
// The checksum lets Recover tell a readable record from garbage.
const (
	recordMagic   = "AMPH"
	recordVersion = 1
	// maxRules bounds counts read from a value, so that garbage cannot make decoding
	// allocate without limit.
	maxRules = 1 << 16
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errRecord is wrapped by every decoding error.
var errRecord = errors.New("store: malformed record")

// AppendRecord appends the encoding of r (without its ID, which is the key) to dst.
func AppendRecord(dst []byte, r *Record) []byte {
	start := len(dst)
	dst = append(dst, recordMagic...)
	dst = append(dst, recordVersion, byte(r.State))
	dst = binary.AppendUvarint(dst, uint64(r.Rule+1))
	dst = binary.AppendVarint(dst, r.Received.UnixNano())
	dst = appendBytes(dst, []byte(r.Host))
	dst = appendBytes(dst, []byte(r.Route))
	dst = appendBytes(dst, []byte(r.Recipient))
	dst = appendBytes(dst, r.Message)
	dst = binary.AppendUvarint(dst, uint64(len(r.Deadlines)))
	for _, d := range r.Deadlines {
		dst = binary.AppendUvarint(dst, uint64(d.Rule))
		dst = binary.AppendVarint(dst, d.At.UnixNano())
	}
	dst = binary.AppendUvarint(dst, uint64(len(r.Fired)))
	for _, f := range r.Fired {
		dst = binary.AppendUvarint(dst, uint64(f))
	}
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], crcTable))
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// DecodeRecord decodes a record value written by AppendRecord. The result shares no memory
// with b (bbolt's values are valid only inside their transaction). It never panics.
func DecodeRecord(id uint64, b []byte) (Record, error) {
	if len(b) < len(recordMagic)+2+4 || string(b[:len(recordMagic)]) != recordMagic {
		return Record{}, fmt.Errorf("%w %d: bad magic", errRecord, id)
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return Record{}, fmt.Errorf("%w %d: checksum mismatch", errRecord, id)
	}
	if body[len(recordMagic)] != recordVersion {
		return Record{}, fmt.Errorf("%w %d: unknown version %d", errRecord, id, body[len(recordMagic)])
	}
	d := decoder{b: body[len(recordMagic)+1:]}
	r := Record{ID: id, State: State(d.byte())}
	r.Rule = int(d.uvarint(maxRules+1)) - 1
	r.Received = time.Unix(0, d.varint()).UTC()
	r.Host = string(d.bytes())
	r.Route = string(d.bytes())
	r.Recipient = string(d.bytes())
	r.Message = append([]byte(nil), d.bytes()...)
	if n := d.uvarint(maxRules); n > 0 {
		r.Deadlines = make([]Deadline, 0, min(n, uint64(len(d.b))))
		for range n {
			rule := int(d.uvarint(maxRules))
			r.Deadlines = append(r.Deadlines, Deadline{Rule: rule, At: time.Unix(0, d.varint()).UTC()})
			if d.err != nil {
				break
			}
		}
	}
	if n := d.uvarint(maxRules); n > 0 {
		r.Fired = make([]int, 0, min(n, uint64(len(d.b))))
		for range n {
			r.Fired = append(r.Fired, int(d.uvarint(maxRules)))
			if d.err != nil {
				break
			}
		}
	}
	switch {
	case d.err != nil:
		return Record{}, fmt.Errorf("%w %d: %v", errRecord, id, d.err)
	case len(d.b) != 0:
		return Record{}, fmt.Errorf("%w %d: %d trailing bytes", errRecord, id, len(d.b))
	case r.State < Held || r.State > Expiring:
		return Record{}, fmt.Errorf("%w %d: unknown state %d", errRecord, id, r.State)
	case (r.State == Expiring) != (r.Rule >= 0):
		return Record{}, fmt.Errorf("%w %d: state %s with rule %d", errRecord, id, r.State, r.Rule)
	}
	return r, nil
}

// decoder reads the fields of a record; the first failure sticks and yields zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = errors.New(what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint(limit uint64) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit {
		d.fail("bad count or index")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad time")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.fail("bad length")
		return nil
	}
	v := d.b[k : k+int(n)]
	d.b = d.b[k+int(n):]
	return v
}
