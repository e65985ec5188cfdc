package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/route"
)

// floor is the do-nothing stand-in for ampd: it answers every divert at once with deliver,
// batched like ampd batches them (one message per group of diverts read together), with the
// AMP reply ampd would send for the e2e load (see reply). AMP through it costs the server the
// module's divert and verdict round trip and the replies the senders are owed, and nothing of
// ampd's deciding, so the rate it reaches is the floor ampd is compared with.
type floor struct {
	client   *component.Client
	domain   string
	host     string          // the XMPP host announced to
	offline  map[string]bool // bare JIDs the bench keeps offline: their deliver=stored rules are met
	answered atomic.Int64
	replies  atomic.Int64 // verdicts that carried a reply
	dropped  atomic.Int64 // stanzas that were not diverts, or verdicts the queue refused

	msg      amp.Message // parse storage, reused
	replyBuf []byte
	batches  *route.Batches // ampd's own batching (the component's calls are serial)
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
	reply := f.reply(div)
	if reply != nil {
		f.replies.Add(1)
	}
	f.batches.Add(div.Host, div.ID, route.Answer{Verdict: route.Deliver, Reply: reply})
	f.answered.Add(1)
}

// reply is the reply ampd owes the sender of div under the e2e load, written by ampd's own
// builder: the action reply of the first deliver rule that is met, deliver=stored for a
// recipient the bench keeps offline whose message the server stores, deliver=direct for any
// other local recipient (the bench's are online); none otherwise, as ampd sends none. It is
// not a resolver: it knows the recipients' presence from the bench, and the other conditions
// of the e2e load never match.
func (f *floor) reply(div route.Divert) []byte {
	if f.offline == nil || div.Recipient != "local" {
		return nil
	}
	if err := amp.ParseMessage(div.Message, &f.msg); err != nil || !f.msg.IsRequest() {
		return nil
	}
	to, _, _ := strings.Cut(f.msg.To.Value, "/")
	met := "direct"
	if f.offline[to] {
		if !div.OfflineStorage() {
			return nil
		}
		met = "stored"
	}
	for _, rule := range f.msg.Amp.Rules {
		if rule.Condition.Value == "deliver" && rule.Value.Value == met {
			f.replyBuf = amp.AppendActionReply(f.replyBuf[:0], &f.msg, rule, div.Host)
			return f.replyBuf
		}
	}
	return nil
}

// Idle sends the verdicts gathered since the last call, one message per host.
func (f *floor) Idle() { f.batches.Flush() }

func (f *floor) send(b []byte) {
	if err := f.client.Send(b); err != nil {
		f.dropped.Add(1)
	}
}

// newFloor returns a floor component for the server at addr; it runs until its Run's ctx ends.
// offline are the bare JIDs the bench keeps offline (nil: the floor sends no replies).
func newFloor(addr, domain, secret, host string, offline map[string]bool) *floor {
	f := &floor{domain: domain, host: host, offline: offline}
	f.batches = route.NewBatches(domain, f.send)
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
	f := newFloor(addr, domain, secret, host, nil)
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	err := f.client.Run(ctx)
	fmt.Fprintf(log, "floor: answered %d diverts (no AMP replies: it knows no recipient's presence here), %d dropped\n", f.answered.Load(), f.dropped.Load())
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
