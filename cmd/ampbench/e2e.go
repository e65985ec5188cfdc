package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// e2eOptions configure the end-to-end mode.
type e2eOptions struct {
	server       string
	duration     time.Duration
	count        int64
	senders      int // as many online recipients
	offline      int // offline recipients (their messages go to offline storage)
	offlineEvery int // every n-th message goes to an offline recipient
	window       int // most messages to online recipients in flight per sender (full-speed runs)
	rate         int // messages per second of the fixed-rate runs
	keep         bool
}

const e2ePassword = "bench"

// e2eRules is the AMP request of the AMP runs: "tell me if it was stored offline". Delivered
// directly to an online recipient without a reply; to an offline one ampd answers notify.
const e2eRules = `<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp>`

// e2eBody makes a message of a typical chat size.
const e2eBody = `<body>` + body + `</body><active xmlns='http://jabber.org/protocol/chatstates'/>`

// e2eRun is the state of one measured run; the clients' readers find it by its index in the
// message id, so that late messages of an earlier run do not count for the next.
type e2eRun struct {
	c           counters
	lat         latencies
	sentOffline atomic.Int64
	replies     atomic.Int64
	lastDone    atomic.Int64 // UnixNano of the latest receipt
	finished    atomic.Bool  // receipts after this count as late, not done
	tokens      []chan struct{}
}

// e2eBench is one sandbox with its clients.
type e2eBench struct {
	o          e2eOptions
	srv        *e2eServer
	senders    []*c2stest.Client
	recipients []*c2stest.Client
	mu         sync.Mutex
	runs       []*e2eRun
	late       atomic.Int64 // messages of a finished run that arrived after it
	readers    sync.WaitGroup
	stopRead   context.CancelFunc // ends the readers (c2stest's Next does not return on Close)
	readCtx    context.Context
}

func runE2E(ctx context.Context, o e2eOptions, stdout, stderr io.Writer) (rows []result, retErr error) {
	dir, err := os.MkdirTemp("", "ampbench-e2e-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(stderr, "sandbox kept in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	users := map[string]string{}
	for i := range o.senders {
		users[fmt.Sprintf("s%d", i)] = e2ePassword
		users[fmt.Sprintf("r%d", i)] = e2ePassword
	}
	for i := range o.offline {
		users[fmt.Sprintf("o%d", i)] = e2ePassword
	}
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	srv, err := startE2EServer(sctx, o.server, e2eServerOptions{dir: dir, users: users, maxPending: 100000}, stderr)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	defer func() {
		// Runs with errors: the server's log usually says why (bounces, limits, crashes).
		if retErr != nil || failOnErrors(rows) != nil {
			fmt.Fprintf(stderr, "%s log tail:\n%s", srv.kind, srv.logTail(20))
		}
	}()
	if pid := srv.pid(); pid > 0 {
		fmt.Fprintf(stderr, "%s runs as pid %d (%s): its CPU is the server CPU\n", srv.kind, pid, processName(pid))
	} else {
		fmt.Fprintf(stderr, "%s: no process id, the server CPU is not measured\n", srv.kind)
	}
	b := &e2eBench{o: o, srv: srv}
	b.readCtx, b.stopRead = context.WithCancel(context.Background())
	defer b.close()
	if err := b.connect(sctx); err != nil {
		return nil, err
	}

	// Every measured run starts with empty offline storage, so that none pays for the
	// messages its predecessors stored: on ejabberd (Mnesia) a stored message costs the server
	// more CPU the more the recipient already has.
	clearOffline := func() error {
		if srv.clearOffline == nil || o.offline == 0 || o.offlineEvery == 0 {
			return nil
		}
		if err := srv.clearOffline(); err != nil {
			return fmt.Errorf("ampbench: emptying the offline storage: %w", err)
		}
		return nil
	}
	measure := func(name string, withAMP bool) error {
		// Not counted: the first second of a new configuration is slower (connections warming
		// up, first offline-storage writes) on every server.
		b.measureFor(ctx, name+" warm-up", withAMP, 0, min(time.Second, o.duration), io.Discard)
		if err := clearOffline(); err != nil {
			return err
		}
		rows = append(rows, b.measure(ctx, name+" max", withAMP, 0, stderr))
		if o.rate > 0 {
			if err := clearOffline(); err != nil {
				return err
			}
			rows = append(rows, b.measure(ctx, fmt.Sprintf("%s %d/s", name, o.rate), withAMP, o.rate, stderr))
		}
		return nil
	}
	if err := measure("plain", false); err != nil {
		return rows, err
	}

	f := newFloor(srv.componentAddr, srv.componentDomain, srv.secret, srv.host)
	fctx, fstop := context.WithCancel(ctx)
	fdone := make(chan error, 1)
	go func() { fdone <- f.client.Run(fctx) }()
	err = waitFor(ctx, 15*time.Second, f.client.Connected, "ampbench: the floor component did not connect")
	if err == nil {
		time.Sleep(200 * time.Millisecond) // let the module take the announcement
		err = measure("floor", true)
	}
	fstop()
	<-fdone
	if err != nil {
		return rows, err
	}
	if n := f.dropped.Load(); n > 0 {
		return rows, fmt.Errorf("ampbench: the floor component dropped %d stanzas", n)
	}

	stopAmpd, err := b.startAmpd(ctx, dir)
	if err != nil {
		return rows, err
	}
	err = measure("ampd", true)
	stopAmpd()
	if err != nil {
		return rows, err
	}
	if n := b.late.Load(); n > 0 {
		fmt.Fprintf(stderr, "%d messages arrived after their run had ended (counted as lost there)\n", n)
	}
	return rows, nil
}

// connect logs every sender and online recipient in and makes them available.
func (b *e2eBench) connect(ctx context.Context) error {
	dial := func(user string) (*c2stest.Client, error) {
		c, err := c2stest.Dial(ctx, b.srv.c2sAddr, user, b.srv.host, e2ePassword, "bench")
		if err != nil {
			return nil, fmt.Errorf("ampbench: %s cannot log in: %w", user, err)
		}
		return c, c.Presence(0)
	}
	for i := range b.o.senders {
		s, err := dial(fmt.Sprintf("s%d", i))
		if err != nil {
			return err
		}
		b.senders = append(b.senders, s)
		r, err := dial(fmt.Sprintf("r%d", i))
		if err != nil {
			return err
		}
		b.recipients = append(b.recipients, r)
	}
	for _, c := range b.senders {
		b.readers.Add(1)
		go b.read(c, true)
	}
	for _, c := range b.recipients {
		b.readers.Add(1)
		go b.read(c, false)
	}
	return nil
}

func (b *e2eBench) close() {
	b.stopRead()
	for _, c := range append(b.senders, b.recipients...) {
		c.Close()
	}
	b.readers.Wait()
}

// read drains one client until its stream ends: recipients time the benchmark messages,
// senders count the AMP replies and errors they get.
func (b *e2eBench) read(c *c2stest.Client, sender bool) {
	defer b.readers.Done()
	for {
		raw, err := c.Next(b.readCtx)
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		if !bytes.HasPrefix(raw, []byte("<message")) {
			continue
		}
		tag := raw[:bytes.IndexByte(raw, '>')+1]
		id := attr(tag, []byte("id='"))
		if len(id) == 0 {
			id = attr(tag, []byte(`id="`)) // a server may quote either way
		}
		run, from, sentAt, ok := parseID(id)
		if !ok {
			continue
		}
		r := b.run(run)
		if r == nil {
			continue
		}
		switch {
		case bytes.Contains(tag, []byte("type='error'")) || bytes.Contains(tag, []byte(`type="error"`)):
			r.c.errors.Add(1)
		case sender:
			r.replies.Add(1)
		default:
			if r.finished.Load() {
				b.late.Add(1)
				continue
			}
			r.lat.add(time.Duration(now - sentAt))
			r.lastDone.Store(now)
			r.c.done.Add(1)
			if r.tokens != nil {
				select {
				case r.tokens[from] <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (b *e2eBench) run(i int) *e2eRun {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 || i >= len(b.runs) {
		return nil
	}
	return b.runs[i]
}

// messageID is "b<run>-<sender>-<unix nanos>-<seq>".
func messageID(run, sender int, at int64, seq int64) string {
	return "b" + strconv.Itoa(run) + "-" + strconv.Itoa(sender) + "-" + strconv.FormatInt(at, 10) + "-" + strconv.FormatInt(seq, 10)
}

func parseID(id []byte) (run, sender int, at int64, ok bool) {
	if len(id) < 2 || id[0] != 'b' {
		return
	}
	parts := bytes.Split(id[1:], []byte("-"))
	if len(parts) != 4 {
		return
	}
	var err1, err2, err3 error
	run, err1 = strconv.Atoi(string(parts[0]))
	sender, err2 = strconv.Atoi(string(parts[1]))
	at, err3 = strconv.ParseInt(string(parts[2]), 10, 64)
	return run, sender, at, err1 == nil && err2 == nil && err3 == nil
}
