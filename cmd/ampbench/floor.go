package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/route"
)

// floor is the do-nothing stand-in for ampd: it answers every divert at once with deliver and
// no reply, batched like ampd batches them (one message per group of diverts read together).
// AMP through it costs the server module's divert and verdict round trip and nothing of
// ampd's work, so the rate it reaches is the floor ampd is compared with.
type floor struct {
	client   *component.Client
	domain   string
	host     string // the XMPP host announced to
	answered atomic.Int64
	dropped  atomic.Int64 // stanzas that were not diverts, or verdicts the queue refused

	batch      []byte // verdicts not sent yet, all for one host (the component's calls are serial)
	batchHost  string
	batchBytes []byte
}

func (f *floor) Connected() {
	// Announce like ampd does, so the server module advertises AMP while the floor runs.
	f.send(route.AppendAnnounce(nil, f.domain, f.host, []string{"http://jabber.org/protocol/amp"}))
}

func (f *floor) Disconnected(error) {}

func (f *floor) Stanza(raw []byte) {
	div, err := route.ParseDivert(raw)
	if err != nil {
		if !errors.Is(err, route.ErrNotDivert) {
			f.dropped.Add(1)
		}
		return // presences, privilege announcements, acknowledgements: nothing to do
	}
	if div.Host != f.batchHost {
		f.Idle()
		f.batchHost = div.Host
	}
	f.batch = route.AppendVerdictElement(f.batch, div.ID, route.Deliver, false, nil)
	f.answered.Add(1)
}

// Idle sends the verdicts gathered since the last call as one message.
func (f *floor) Idle() {
	if len(f.batch) == 0 {
		return
	}
	m := route.AppendBatchOpen(f.batchBytes[:0], f.domain, f.batchHost)
	m = route.AppendBatchClose(append(m, f.batch...))
	f.send(m)
	f.batchBytes, f.batch = m, f.batch[:0]
}

func (f *floor) send(b []byte) {
	if err := f.client.Send(b); err != nil {
		f.dropped.Add(1)
	}
}

// newFloor returns a floor component for the server at addr; it runs until its Run's ctx ends.
func newFloor(addr, domain, secret, host string) *floor {
	f := &floor{domain: domain, host: host}
	f.client = component.New(component.Config{
		Address: addr, Domain: domain, Secret: secret,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second,
		MaxQueued: 64 << 20,
	}, f)
	return f
}

// runFloor is -mode floor: the stand-in connected to any server for duration.
func runFloor(ctx context.Context, addr, domain, secret string, duration time.Duration, log io.Writer) error {
	if addr == "" || domain == "" {
		return errors.New("ampbench: -mode floor needs -addr and -domain (and -secret)")
	}
	host := domain // the component domain is conventionally a subdomain of the host
	if _, after, ok := strings.Cut(domain, "."); ok {
		host = after
	}
	f := newFloor(addr, domain, secret, host)
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	err := f.client.Run(ctx)
	fmt.Fprintf(log, "floor: answered %d diverts, %d dropped\n", f.answered.Load(), f.dropped.Load())
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
