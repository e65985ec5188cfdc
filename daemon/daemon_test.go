package daemon

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/component/componenttest"
	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/xmlcanon"
	"github.com/ampd-xmpp/ampd/metrics"
	"github.com/ampd-xmpp/ampd/route"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

const (
	host   = "localhost"
	domain = "amp.localhost"
	secret = "s3cret"
)

// harness runs a Daemon against a fake XEP-0114 server: tests write stanzas as the server would
// and read what ampd answers.
type harness struct {
	t       *testing.T
	split   [][]byte // verdicts of a batch not yet returned by recv
	conn    *componenttest.Conn
	metrics *metrics.Metrics
	reg     *prometheus.Registry
	d       *Daemon
	now     time.Time
}

// start connects a daemon to a fake server that grants the presence permission for host, and
// returns once ampd has announced itself there.
func start(t *testing.T, edit func(*config.Config)) *harness {
	t.Helper()
	h := connect(t, edit)
	h.grant(host)
	h.expect(`<message from='amp.localhost' to='localhost'><announce xmlns='urn:x-ampd:route:0'>` + announced + `</announce></message>`)
	return h
}

// grant sends hostname's XEP-0356 announcement: presence and roster permissions.
func (h *harness) grant(hostname string) {
	h.t.Helper()
	h.send(`<message from='` + hostname + `' to='amp.localhost'><privilege xmlns='urn:xmpp:privilege:2'><perm access='presence' type='managed_entity'/><perm access='roster' type='get'/></privilege></message>`)
}

// connect connects a daemon to a fake server that has sent nothing yet.
func connect(t *testing.T, edit func(*config.Config)) *harness {
	t.Helper()
	srv, err := componenttest.Start("127.0.0.1:0", componenttest.Config{Domain: domain, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := config.Default()
	cfg.Component.Address = srv.Addr()
	cfg.Component.Domain = domain
	cfg.Component.Secret = secret
	cfg.Server.Hosts = []string{host}
	cfg.Privacy.PresencePolicy = config.PolicyOff
	cfg.Store.Path = t.TempDir() + "/ampd.db"
	if edit != nil {
		edit(cfg)
	}
	h := &harness{t: t, reg: prometheus.NewRegistry(), now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	h.metrics = metrics.New(h.reg)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.d, err = New(cfg, log, h.metrics, Options{Now: func() time.Time { return h.now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	actx, acancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer acancel()
	h.conn, err = srv.Accept(actx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const announced = `<feature var='http://jabber.org/protocol/amp'/>` +
	`<feature var='http://jabber.org/protocol/amp?action=alert'/><feature var='http://jabber.org/protocol/amp?action=drop'/>` +
	`<feature var='http://jabber.org/protocol/amp?action=error'/><feature var='http://jabber.org/protocol/amp?action=notify'/>` +
	`<feature var='http://jabber.org/protocol/amp?condition=deliver'/><feature var='http://jabber.org/protocol/amp?condition=expire-at'/>` +
	`<feature var='http://jabber.org/protocol/amp?condition=match-resource'/>`

func (h *harness) send(stanza string) {
	h.t.Helper()
	if err := h.conn.Send(stanza); err != nil {
		h.t.Fatal(err)
	}
}

// recv returns the next stanza from ampd. A batch of verdicts is returned one verdict at a
// time, each in a message of its own, so that tests do not depend on how ampd grouped them
// (TestVerdictsBatched checks the grouping).
func (h *harness) recv() []byte {
	h.t.Helper()
	if len(h.split) == 0 {
		h.split = splitVerdicts(h.t, h.recvRaw())
	}
	got := h.split[0]
	h.split = h.split[1:]
	return got
}

// recvRaw returns the next stanza from ampd as it was sent.
func (h *harness) recvRaw() []byte {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := h.conn.Recv(ctx)
	if err != nil {
		h.t.Fatalf("nothing received from ampd: %v", err)
	}
	return got
}

// splitVerdicts returns a message with several <verdict/> as one message per verdict, and any
// other stanza unchanged.
func splitVerdicts(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	root, err := xmlscan.Parse(raw)
	if err != nil {
		t.Fatalf("ampd sent a malformed stanza: %v\n%s", err, raw)
	}
	var verdicts [][]byte
	for c := root.Children(); c.Next(); {
		if el := c.Element(); el.Is(route.NS, "verdict") {
			verdicts = append(verdicts, el.Raw())
		}
	}
	if len(verdicts) < 2 {
		return [][]byte{raw}
	}
	out := make([][]byte, len(verdicts))
	for i, v := range verdicts {
		m := route.AppendBatchOpen(nil, root.AttrValue("from"), root.AttrValue("to"))
		out[i] = route.AppendBatchClose(append(m, v...))
	}
	return out
}

// expect reads the next stanza from ampd and compares it semantically with want.
func (h *harness) expect(want string) {
	h.t.Helper()
	got := h.recv()
	if ok, diff := xmlcanon.Equal(got, []byte(want)); !ok {
		h.t.Fatalf("ampd sent\n%s\nwant\n%s\n%s", got, want, diff)
	}
}

func divert(id, recipient, offline, inner string) string {
	return `<message from='localhost' to='amp.localhost'><forwarded xmlns='urn:xmpp:forward:0'>` + inner +
		`</forwarded><route xmlns='urn:x-ampd:route:0' id='` + id + `' origin='c2s' recipient='` + recipient + `' offline='` + offline + `'/></message>`
}

func verdict(id, action, reply string) string {
	if reply == "" {
		return `<message from='amp.localhost' to='localhost'><verdict xmlns='urn:x-ampd:route:0' route='` + id + `' action='` + action + `'/></message>`
	}
	return `<message from='amp.localhost' to='localhost'><verdict xmlns='urn:x-ampd:route:0' route='` + id + `' action='` + action + `'>` + reply + `</verdict></message>`
}

func msg(to, rules string) string {
	return `<message xmlns='jabber:client' from='alice@localhost/phone' to='` + to + `' id='m1' type='chat'><body>secret body</body>` +
		`<amp xmlns='http://jabber.org/protocol/amp'>` + rules + `</amp></message>`
}

// Each case: the state the server reports, one diverted message, the verdict ampd must send.
func TestVerdicts(t *testing.T) {
	const notifyStored = `<rule action='notify' condition='deliver' value='stored'/>`
	tests := []struct {
		presence []string
		divert   string
		want     string
	}{
		0: { // recipient offline with storage: notify stored, delivered to the offline store
			divert: divert("r0", "local", "store", msg("bob@localhost", notifyStored)),
			want: verdict("r0", "deliver", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'>`+
				`<amp xmlns='http://jabber.org/protocol/amp' status='notify' from='alice@localhost/phone' to='bob@localhost'>`+notifyStored+`</amp></message>`),
		},
		1: { // recipient online: the rule is not met, delivered without a reply
			presence: []string{`<presence from='bob@localhost/pc' to='amp.localhost'><priority>1</priority></presence>`},
			divert:   divert("r1", "local", "store", msg("bob@localhost", notifyStored)),
			want:     verdict("r1", "deliver", ""),
		},
		2: { // offline without storage: deliver=none alert → discarded with an alert
			divert: divert("r2", "local", "none", msg("bob@localhost", `<rule action='alert' condition='deliver' value='none'/>`)),
			want: verdict("r2", "discard", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'>`+
				`<amp xmlns='http://jabber.org/protocol/amp' status='alert' from='alice@localhost/phone' to='bob@localhost'><rule action='alert' condition='deliver' value='none'/></amp></message>`),
		},
		3: { // drop: discarded, no reply at all
			divert: divert("r3", "local", "store", msg("bob@localhost", `<rule action='drop' condition='deliver' value='stored'/>`)),
			want:   verdict("r3", "discard", ""),
		},
		4: { // unsupported action: bad-request echoing the amp
			divert: divert("r4", "local", "store", msg("bob@localhost", `<rule action='explode' condition='deliver' value='stored'/>`)),
			want: verdict("r4", "discard", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1' type='error'>`+
				`<amp xmlns='http://jabber.org/protocol/amp'><rule action='explode' condition='deliver' value='stored'/></amp>`+
				`<error type='modify' code='400'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
				`<unsupported-actions xmlns='http://jabber.org/protocol/amp'><rule action='explode' condition='deliver' value='stored'/></unsupported-actions></error></message>`),
		},
		5: { // full JID to another resource: match-resource=other error
			presence: []string{`<presence from='bob@localhost/pc' to='amp.localhost'/>`},
			divert:   divert("r5", "local", "store", msg("bob@localhost/phone", `<rule action='error' condition='match-resource' value='other'/>`)),
			want: verdict("r5", "discard", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1' type='error'>`+
				`<amp xmlns='http://jabber.org/protocol/amp' status='error' from='alice@localhost/phone' to='bob@localhost/phone'><rule action='error' condition='match-resource' value='other'/></amp>`+
				`<error type='modify' code='500'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
				`<failed-rules xmlns='http://jabber.org/protocol/amp#errors'><rule action='error' condition='match-resource' value='other'/></failed-rules></error></message>`),
		},
		6: { // a reply (with status) is never judged again
			divert: divert("r6", "local", "store", `<message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost' id='m1'><amp xmlns='http://jabber.org/protocol/amp' status='notify'/></message>`),
			want:   verdict("r6", "deliver", ""),
		},
	}
	for i, tc := range tests {
		// The slim divert (route §1) must get the very same verdict and reply as the whole one.
		for _, d := range []string{tc.divert, slim(tc.divert)} {
			h := start(t, nil)
			for _, p := range tc.presence {
				h.send(p)
			}
			h.send(d)
			h.expect(tc.want)
		}
		_ = i
	}
}

// slim turns a divert made by divert into the slim form a module sends when no hold is
// possible: the request without its body, and message='slim'.
func slim(divert string) string {
	s := strings.Replace(divert, "<body>secret body</body>", "", 1)
	return strings.Replace(s, "'/></message>", "' message='slim'/></message>", 1)
}

// Diverts that arrive together are answered with one message carrying their verdicts in order.
func TestVerdictsBatched(t *testing.T) {
	h := start(t, nil)
	h.send(`<presence from='bob@localhost/pc' to='amp.localhost'/>`)
	rule := `<rule action='drop' condition='deliver' value='direct'/>`
	h.send(divert("b1", "local", "store", msg("bob@localhost", rule)) + // one write
		divert("b2", "local", "store", msg("carol@localhost", rule)) +
		divert("b3", "local", "store", msg("bob@localhost", `<rule action='notify' condition='deliver' value='stored'/>`)))
	want := `<message from='amp.localhost' to='localhost'>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='b1' action='discard'/>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='b2' action='deliver'/>` +
		`<verdict xmlns='urn:x-ampd:route:0' route='b3' action='deliver'/></message>`
	if got := h.recvRaw(); string(got) != want {
		t.Fatalf("ampd sent\n%s\nwant one batch\n%s", got, want)
	}
}

// A request diverted again (the module never saw the verdict) gets the same verdict again and
// is not decided twice, even when the state changed in between.
func TestRedivertRepeatsVerdict(t *testing.T) {
	h := start(t, nil)
	d := divert("dup", "local", "store", msg("bob@localhost", `<rule action='alert' condition='deliver' value='stored'/>`))
	h.send(d)
	first := h.recv()
	h.send(`<presence from='bob@localhost/pc' to='amp.localhost'/>`)
	h.send(d)
	if second := h.recv(); string(second) != string(first) {
		t.Fatalf("re-divert answered\n%s\nfirst answer was\n%s", second, first)
	}
	if got := testutil.ToFloat64(h.metrics.DuplicateRoutes); got != 1 {
		t.Errorf("duplicate routes = %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.metrics.Messages.WithLabelValues("discard", "alert")); got != 1 {
		t.Errorf("messages{discard,alert} = %v, want 1", got)
	}
}

// Roster policy: a stranger's deliver rule waits for the recipient's roster and is refused;
// a contact with a from subscription gets the real answer; a failed fetch fails closed.
func TestRosterPolicy(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Privacy.PresencePolicy = config.PolicyRoster })
	rule := `<rule action='alert' condition='deliver' value='stored'/>`
	h.send(divert("p1", "local", "store", msg("bob@localhost", rule)))
	get := h.recv()
	if !strings.Contains(string(get), "jabber:iq:roster") || !strings.Contains(string(get), "to='bob@localhost'") {
		t.Fatalf("expected a roster get to bob, got %s", get)
	}
	id := between(string(get), "id='", "'")
	h.send(`<iq type='result' from='bob@localhost' to='amp.localhost' id='` + id + `'><query xmlns='jabber:iq:roster'>` +
		`<item jid='mallory@localhost' subscription='to'/><item jid='ALICE@localhost' subscription='from'/></query></iq>`)
	h.expect(verdict("p1", "discard", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'>`+
		`<amp xmlns='http://jabber.org/protocol/amp' status='alert' from='alice@localhost/phone' to='bob@localhost'>`+rule+`</amp></message>`))

	// Cached now: mallory (subscription 'to' only) is refused without another fetch.
	h.send(divert("p2", "local", "store", strings.ReplaceAll(msg("bob@localhost", rule), "alice@localhost/phone", "mallory@localhost/x")))
	h.expect(verdict("p2", "discard", `<message xmlns='jabber:client' from='localhost' to='mallory@localhost/x' id='m1' type='error'>`+
		`<amp xmlns='http://jabber.org/protocol/amp'>`+rule+`</amp>`+
		`<error type='modify' code='406'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
		`<invalid-rules xmlns='http://jabber.org/protocol/amp'>`+rule+`</invalid-rules></error></message>`))

	// An unknown account: the server refuses the roster get; fail closed.
	h.send(divert("p3", "unknown", "store", msg("nobody@localhost", rule)))
	get = h.recv()
	id = between(string(get), "id='", "'")
	h.send(`<iq type='error' from='nobody@localhost' to='amp.localhost' id='` + id + `'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	got := h.recv()
	if !strings.Contains(string(got), "not-acceptable") || !strings.Contains(string(got), "action='discard'") {
		t.Fatalf("unknown account: want a not-acceptable discard, got %s", got)
	}
	if n := testutil.ToFloat64(h.metrics.RosterFetchFailures); n != 1 {
		t.Errorf("roster fetch failures = %v, want 1", n)
	}
}

func TestComponentIQ(t *testing.T) {
	h := start(t, nil)
	h.send(`<iq type='get' from='alice@localhost/phone' to='amp.localhost' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	got := h.recv()
	if !strings.Contains(string(got), "type='result'") || !strings.Contains(string(got), "category='component'") {
		t.Errorf("disco#info answer: %s", got)
	}
	h.send(`<iq type='get' from='alice@localhost/phone' to='amp.localhost' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`)
	h.expect(`<iq from='amp.localhost' to='alice@localhost/phone' id='p1' type='result'/>`)
	h.send(`<iq type='set' from='alice@localhost/phone' to='amp.localhost' id='x1'><query xmlns='jabber:iq:version'/></iq>`)
	h.expect(`<iq from='amp.localhost' to='alice@localhost/phone' id='x1' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
}

// Malformed stanzas are logged, counted and skipped; processing goes on.
func TestSkipsMalformed(t *testing.T) {
	h := start(t, nil)
	h.send(`<message from='localhost'><route xmlns='urn:x-ampd:route:0' id='1' origin='c2s' recipient='mars' offline='store'/></message>`)
	h.send(`<presence from='@@/x'/>`)
	h.send(`<unknown/>`)
	h.send(divert("ok", "local", "store", msg("bob@localhost", `<rule action='drop' condition='deliver' value='stored'/>`)))
	h.expect(verdict("ok", "discard", ""))
	if n := testutil.ToFloat64(h.metrics.StanzasSkipped.WithLabelValues("malformed")); n != 2 {
		t.Errorf("skipped malformed = %v, want 2", n)
	}
}

// Ready only once the server has granted the presence permission; ampd announces itself to
// the module only after that grant (so that the requests the module then diverts again find
// the permissions recorded), not on the connect.
func TestReadiness(t *testing.T) {
	h := connect(t, nil)
	h.send(`<iq type='get' from='a@localhost/b' to='amp.localhost' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if got := h.recv(); !strings.Contains(string(got), "id='sync'") {
		t.Fatalf("before the privilege announcement ampd sent %s, want only the ping answer", got)
	}
	if err := h.d.Ready(); err == nil || !strings.Contains(err.Error(), "privilege") {
		t.Fatalf("Ready before the privilege announcement = %v", err)
	}
	h.grant(host)
	h.expect(`<message from='amp.localhost' to='localhost'><announce xmlns='urn:x-ampd:route:0'>` + announced + `</announce></message>`)
	if err := h.d.Ready(); err != nil {
		t.Fatalf("Ready after the announcement = %v", err)
	}
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	return s[:strings.Index(s, b)]
}
