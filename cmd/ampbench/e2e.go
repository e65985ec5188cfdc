package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/testserver"
)

// e2eOptions configure the end-to-end mode.
type e2eOptions struct {
	server       string
	duration     time.Duration
	count        int64
	senders      int    // as many online recipients
	offline      int    // offline recipients (their messages go to offline storage)
	offlineEvery int    // every n-th message goes to an offline recipient
	window       int    // most messages to online recipients in flight per sender (full-speed runs)
	rate         int    // messages per second of the fixed-rate runs
	rounds       int    // times the four configurations are measured, alternating
	ampRule      string // the value of the deliver rule the AMP messages carry: stored or direct
	erlBusyWait  bool   // ejabberd: keep the Erlang VM's default idle busy-waiting
	ampdBin      string
	keep         bool
}

const e2ePassword = "bench"

// e2eRules is the AMP request of the AMP runs (-amp-rule stored): "tell me if it was stored
// offline". Delivered directly to an online recipient without a reply; to an offline one
// ampd answers notify.
const e2eRules = `<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp>`

// e2eRulesDirect is the AMP request of -amp-rule direct: "tell me when it was delivered to
// an online resource", so that every message to an online recipient costs the server a
// reply too (a load whose figures count replies or not differs most there).
const e2eRulesDirect = `<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='direct'/></amp>`

// rulesFor returns the AMP request of -amp-rule name, false for an unknown name.
func rulesFor(name string) (string, bool) {
	switch name {
	case "stored", "":
		return e2eRules, true
	case "direct":
		return e2eRulesDirect, true
	}
	return "", false
}

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
	seenMu      sync.Mutex
	seen        map[string]struct{} // ids of the messages received, to catch doubles
	doubled     atomic.Int64
}

// firstReceipt records message id's receipt, and reports whether it is the first.
func (r *e2eRun) firstReceipt(id []byte) bool {
	r.seenMu.Lock()
	defer r.seenMu.Unlock()
	if _, dup := r.seen[string(id)]; dup {
		return false
	}
	r.seen[string(id)] = struct{}{}
	return true
}

// e2eBench is one sandbox with its clients.
type e2eBench struct {
	o          e2eOptions
	srv        *e2eServer
	what       string // the server as the log names it ("prosody without mod_ampd")
	ampdPID    int    // ampd's process while it serves this sandbox, for its CPU (0: none)
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
	rounds := max(o.rounds, 1)
	if _, ok := rulesFor(o.ampRule); !ok {
		return nil, fmt.Errorf("ampbench: -amp-rule %q: want stored or direct", o.ampRule)
	}
	fmt.Fprintln(stdout, describeLoad(o))
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	bin := o.ampdBin
	if bin == "" {
		fmt.Fprintln(stderr, "building ampd (it runs as its own process: its CPU is measured from /proc)")
		if bin, err = testserver.BuildAmpd(sctx, dir); err != nil {
			return nil, fmt.Errorf("ampbench: %w", err)
		}
	}
	// Two instances of the same server with the same accounts, clients and load: one without
	// the module (what traffic without AMP costs when the module is not there) and one with it.
	bare, err := openE2EBench(sctx, o, filepath.Join(dir, "without-module"), true, stderr)
	if err != nil {
		return nil, err
	}
	defer bare.shut(&rows, &retErr, stderr)
	full, err := openE2EBench(sctx, o, filepath.Join(dir, "with-module"), false, stderr)
	if err != nil {
		return nil, err
	}
	defer full.shut(&rows, &retErr, stderr)

	measure := func(b *e2eBench, group, round string, withAMP bool, ampdPID int) error {
		b.ampdPID = ampdPID
		defer func() { b.ampdPID = 0 }()
		// Not counted: the first second of a new configuration is slower (connections warming
		// up, first offline-storage writes) on every server.
		b.measureFor(ctx, group+" warm-up", withAMP, 0, min(time.Second, o.duration), io.Discard)
		if err := b.clearOffline(); err != nil {
			return err
		}
		rows = append(rows, b.measure(ctx, group, group+" max"+round, withAMP, 0, stderr))
		if o.rate > 0 {
			if err := b.clearOffline(); err != nil {
				return err
			}
			rows = append(rows, b.measure(ctx, group, fmt.Sprintf("%s %d/s%s", group, o.rate, round), withAMP, o.rate, stderr))
		}
		return nil
	}
	// Rounds alternate the four configurations, so that the machine's noise falls on all of
	// them alike; the ratios compare the sums over the rounds.
	for i := range rounds {
		round := ""
		if rounds > 1 {
			round = fmt.Sprintf(" r%d", i+1)
		}
		if err := measure(bare, groupNoModule, round, false, 0); err != nil {
			return rows, err
		}
		if err := measure(full, groupPlain, round, false, 0); err != nil {
			return rows, err
		}
		if err := full.withFloor(ctx, func() error { return measure(full, groupFloor, round, true, 0) }); err != nil {
			return rows, err
		}
		a, err := startE2EAmpd(ctx, bin, filepath.Join(dir, "ampd-state"), full.srv, len(full.senders)+len(full.recipients))
		if err != nil {
			return rows, err
		}
		err = measure(full, groupAmpd, round, true, a.pid())
		if err == nil && i == rounds-1 {
			rows = append(rows, measureIdle(ctx, a, idleSpan, stderr))
		}
		a.stop()
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// The configurations of an e2e run, as the rows name them.
const (
	groupNoModule = "plain-nomod" // plain messages, the module not loaded
	groupPlain    = "plain"       // plain messages, the module loaded
	groupFloor    = "floor"       // AMP through the stand-in component
	groupAmpd     = "ampd"        // AMP through ampd
	groupIdle     = "ampd idle"   // ampd connected, no traffic
)

// idleSpan is how long ampd's idle CPU is measured.
const idleSpan = 5 * time.Second

// measureIdle measures ampd's CPU while it is connected and nothing is sent.
func measureIdle(ctx context.Context, a *e2eAmpd, span time.Duration, log io.Writer) result {
	fmt.Fprintf(log, "%s: %v without traffic\n", groupIdle, span)
	time.Sleep(200 * time.Millisecond) // the last verdicts and replies of the run before
	c := startClock(a.pid(), threadsCPU)
	select {
	case <-time.After(span):
	case <-ctx.Done():
	}
	used, ok := c.since()
	r := result{name: groupIdle, group: groupIdle, elapsed: span, lat: &latencies{}}
	if !ok {
		r.note = "ampd's CPU could not be read"
		return r
	}
	r.ampdIdle = used
	r.note = fmt.Sprintf("ampd CPU %v in %v (%.3f%% of a core)", used.Round(time.Microsecond), span, 100*used.Seconds()/span.Seconds())
	return r
}

// openE2EBench starts a sandbox server (without its module when withoutModule) in dir and
// connects the clients.
func openE2EBench(ctx context.Context, o e2eOptions, dir string, withoutModule bool, log io.Writer) (*e2eBench, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	users := map[string]string{}
	for i := range o.senders {
		users[fmt.Sprintf("s%d", i)] = e2ePassword
		users[fmt.Sprintf("r%d", i)] = e2ePassword
	}
	for i := range o.offline {
		users[fmt.Sprintf("o%d", i)] = e2ePassword
	}
	srv, err := startE2EServer(ctx, o.server, e2eServerOptions{dir: dir, users: users, maxPending: 100000, withoutModule: withoutModule, erlBusyWait: o.erlBusyWait}, log)
	if err != nil {
		return nil, err
	}
	what := srv.kind + withoutNote(withoutModule)
	if pid := srv.pid(); pid > 0 {
		fmt.Fprintf(log, "%s runs as pid %d (%s): its CPU is the server CPU\n", what, pid, processName(pid))
	} else {
		fmt.Fprintf(log, "%s: no process id, the server CPU is not measured\n", what)
	}
	b := &e2eBench{o: o, srv: srv, what: what}
	b.readCtx, b.stopRead = context.WithCancel(context.Background())
	if err := b.connect(ctx); err != nil {
		b.close()
		srv.stop()
		return nil, err
	}
	return b, nil
}

// shut closes the clients and stops the server; when the run had errors it prints the end of
// the server's log first, which usually says why (bounces, limits, crashes).
func (b *e2eBench) shut(rows *[]result, runErr *error, log io.Writer) {
	if n := b.late.Load(); n > 0 {
		fmt.Fprintf(log, "%s: %d messages arrived after their run had ended (counted as lost there)\n", b.what, n)
	}
	if *runErr != nil || failOnErrors(*rows) != nil {
		fmt.Fprintf(log, "%s log tail:\n%s", b.what, b.srv.logTail(20))
	}
	b.close()
	b.srv.stop()
}

// clearOffline empties the offline storage before a measured run, so that none pays for the
// messages its predecessors stored: on ejabberd (Mnesia) a stored message costs the server
// more CPU the more the recipient already has.
func (b *e2eBench) clearOffline() error {
	if b.srv.clearOffline == nil || b.o.offline == 0 || b.o.offlineEvery == 0 {
		return nil
	}
	if err := b.srv.clearOffline(); err != nil {
		return fmt.Errorf("ampbench: emptying the offline storage of %s: %w", b.what, err)
	}
	return nil
}

// withFloor runs measure with the floor component connected in ampd's place.
func (b *e2eBench) withFloor(ctx context.Context, measure func() error) error {
	f := newFloor(b.srv.componentAddr, b.srv.componentDomain, b.srv.secret, b.srv.host, b.offlineJIDs())
	fctx, fstop := context.WithCancel(ctx)
	fdone := make(chan error, 1)
	go func() { fdone <- f.client.Run(fctx) }()
	err := waitFor(ctx, 15*time.Second, f.client.Connected, "ampbench: the floor component did not connect")
	if err == nil {
		time.Sleep(200 * time.Millisecond) // let the module take the announcement
		err = measure()
	}
	fstop()
	<-fdone
	if err != nil {
		return err
	}
	if n := f.dropped.Load(); n > 0 {
		return fmt.Errorf("ampbench: the floor component dropped %d stanzas", n)
	}
	return nil
}

// offlineJIDs are the bare JIDs of the recipients that are never online.
func (b *e2eBench) offlineJIDs() map[string]bool {
	m := map[string]bool{}
	for i := range b.o.offline {
		m[fmt.Sprintf("o%d@%s", i, b.srv.host)] = true
	}
	return m
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
			if !r.firstReceipt(id) {
				r.doubled.Add(1)
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
