package component

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/component/componenttest"
	"github.com/ampd-xmpp/ampd/xmlstream"
)

const (
	testDomain = "amp.localhost"
	testSecret = "s3cret"
	// eventually bounds every wait: generous, because the machine is
	// shared; no test asserts anything about how fast things happen.
	eventually = 20 * time.Second
)

// recorder is a Handler that reports every call on a channel.
type recorder struct {
	connected    chan struct{}
	stanzas      chan string
	disconnected chan error
}

func newRecorder() *recorder {
	return &recorder{connected: make(chan struct{}, 100), stanzas: make(chan string, 100), disconnected: make(chan error, 100)}
}

func (r *recorder) Connected()             { r.connected <- struct{}{} }
func (r *recorder) Stanza(raw []byte)      { r.stanzas <- string(raw) }
func (r *recorder) Disconnected(err error) { r.disconnected <- err }

// receive waits for one value on ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(eventually):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// syncBuffer is a log sink safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is a fake server plus a running client.
type harness struct {
	srv    *componenttest.FakeServer
	client *Client
	rec    *recorder
	logs   *syncBuffer
	stop   func() error // cancels Run and returns what it returned
}

func startServer(t *testing.T, addr, secret string) *componenttest.FakeServer {
	t.Helper()
	srv, err := componenttest.Start(addr, componenttest.Config{Domain: testDomain, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func testConfig(addr string) Config {
	return Config{
		Address:    addr,
		Domain:     testDomain,
		Secret:     testSecret,
		BackoffMin: 10 * time.Millisecond,
		BackoffMax: 50 * time.Millisecond,
	}
}

func startHarness(t *testing.T, serverSecret string, tweak func(*Config)) *harness {
	t.Helper()
	h := &harness{srv: startServer(t, "127.0.0.1:0", serverSecret), rec: newRecorder(), logs: &syncBuffer{}}
	cfg := testConfig(h.srv.Addr())
	cfg.Logger = slog.New(slog.NewTextHandler(h.logs, nil))
	if tweak != nil {
		tweak(&cfg)
	}
	h.client = New(cfg, h.rec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.client.Run(ctx) }()
	var once sync.Once
	var runErr error
	h.stop = func() error {
		once.Do(func() {
			cancel()
			runErr = receive(t, done, "return from Run")
		})
		return runErr
	}
	t.Cleanup(func() { h.stop() })
	return h
}

func (h *harness) accept(t *testing.T) *componenttest.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventually)
	defer cancel()
	c, err := h.srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	receive(t, h.rec.connected, "Connected call")
	return c
}

func recv(t *testing.T, c *componenttest.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventually)
	defer cancel()
	el, err := c.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(el)
}

func TestExchange(t *testing.T) {
	h := startHarness(t, testSecret, nil)
	conn := h.accept(t)
	if !h.client.Connected() {
		t.Error("Connected() is false after Handler.Connected")
	}
	in := []string{
		`<message from='localhost' to='amp.localhost' id='r1'><body>a &amp; b</body></message>`,
		`<iq type='get' id="2" to='amp.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
	}
	if err := conn.Send(in[0] + "\n " + in[1]); err != nil {
		t.Fatal(err)
	}
	for _, want := range in {
		if got := receive(t, h.rec.stanzas, "stanza"); got != want {
			t.Errorf("handler got %q, want %q", got, want)
		}
	}
	out := []string{`<message to='localhost'><verdict/></message>`, `<presence/>`}
	for _, s := range out {
		if err := h.client.Send([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range out {
		if got := recv(t, conn); got != want {
			t.Errorf("server got %q, want %q", got, want)
		}
	}
	if err := h.stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if err := receive(t, h.rec.disconnected, "Disconnected call"); !errors.Is(err, context.Canceled) {
		t.Errorf("Disconnected(%v), want context.Canceled", err)
	}
	<-conn.Done()
	if !conn.ClosedPolitely() {
		t.Error("stream not closed with </stream:stream>")
	}
}

func TestBadSecret(t *testing.T) {
	h := startHarness(t, "other secret", nil)
	deadline := time.Now().Add(eventually)
	for h.srv.Rejections() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := h.srv.Rejections(); n < 3 {
		t.Fatalf("%d handshakes rejected, want retries", n)
	}
	if err := h.client.LastError(); !errors.Is(err, ErrNotAuthorized) {
		t.Errorf("LastError() = %v, want not-authorized", err)
	}
	if !strings.Contains(h.logs.String(), "check component.secret") {
		t.Errorf("log does not tell the operator to check component.secret:\n%s", h.logs)
	}
	if len(h.rec.connected) != 0 || h.client.Connected() {
		t.Error("Connected although the handshake was rejected")
	}
}

// TestConnectionFailures: every way a server can break a connection is
// reported to Disconnected and followed by a reconnect.
func TestConnectionFailures(t *testing.T) {
	tests := map[string]struct {
		breakIt func(*componenttest.Conn)
		want    error
	}{
		"stream error": {
			breakIt: func(c *componenttest.Conn) { c.StreamError("conflict") },
			want:    &StreamError{Condition: "conflict"},
		},
		"closed mid-stanza": {
			breakIt: func(c *componenttest.Conn) { c.Send("<message to='x'><bo"); c.Close() },
			want:    io.ErrUnexpectedEOF,
		},
		"garbage": {
			breakIt: func(c *componenttest.Conn) { c.Send("<message>\x00</m<<>") },
			want:    xmlstream.ErrNotWellFormed,
		},
		"restricted xml": {
			breakIt: func(c *componenttest.Conn) { c.Send("<!-- hello -->") },
			want:    xmlstream.ErrRestrictedXML,
		},
		"stream closed": {
			breakIt: func(c *componenttest.Conn) { c.Send("</stream:stream>") },
			want:    ErrStreamClosed,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := startHarness(t, testSecret, nil)
			tc.breakIt(h.accept(t))
			if err := receive(t, h.rec.disconnected, "Disconnected call"); !errors.Is(err, tc.want) {
				t.Errorf("Disconnected(%v), want %v", err, tc.want)
			}
			conn := h.accept(t) // reconnected
			conn.Send("<message id='after'/>")
			if got := receive(t, h.rec.stanzas, "stanza after reconnect"); got != "<message id='after'/>" {
				t.Errorf("got %q after reconnect", got)
			}
		})
	}
}

func TestOversizedStanzaDropped(t *testing.T) {
	h := startHarness(t, testSecret, func(c *Config) { c.MaxStanzaBytes = 200 })
	conn := h.accept(t)
	conn.Send("<message id='big'><body>" + strings.Repeat("x", 1000) + "</body></message><message id='small'/>")
	if got := receive(t, h.rec.stanzas, "stanza"); got != "<message id='small'/>" {
		t.Errorf("got %q, want the small stanza", got)
	}
	if !strings.Contains(h.logs.String(), "larger than component.max_stanza_bytes") {
		t.Errorf("no warning logged:\n%s", h.logs)
	}
	if len(h.rec.disconnected) != 0 {
		t.Error("the oversized stanza ended the connection")
	}
}

func TestQueuedWritesSurviveRestart(t *testing.T) {
	h := startHarness(t, testSecret, nil)
	conn := h.accept(t)
	addr := h.srv.Addr()
	if err := h.client.Send([]byte("<message id='0'/>")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, conn); got != "<message id='0'/>" {
		t.Fatalf("got %q", got)
	}
	h.srv.Close()
	receive(t, h.rec.disconnected, "Disconnected call")
	want := []string{"<message id='1'/>", "<message id='2'><body>x</body></message>", "<message id='3'/>"}
	for _, s := range want {
		if err := h.client.Send([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	h.srv = startServer(t, addr, testSecret) // the same port: a restart
	conn = h.accept(t)
	for _, w := range want {
		if got := recv(t, conn); got != w {
			t.Errorf("after restart got %q, want %q", got, w)
		}
	}
}

func TestKeepAlive(t *testing.T) {
	h := startHarness(t, testSecret, func(c *Config) { c.KeepAlive = 20 * time.Millisecond })
	conn := h.accept(t)
	deadline := time.Now().Add(eventually)
	for conn.Keepalives() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if conn.Keepalives() < 2 {
		t.Errorf("%d keepalives seen", conn.Keepalives())
	}
}

func TestCancelLeavesNothingRunning(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, err := componenttest.Start("127.0.0.1:0", componenttest.Config{Domain: testDomain, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	client := New(testConfig(srv.Addr()), rec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- client.Run(ctx) }()
	acceptCtx, acceptCancel := context.WithTimeout(context.Background(), eventually)
	defer acceptCancel()
	conn, err := srv.Accept(acceptCtx)
	if err != nil {
		t.Fatal(err)
	}
	receive(t, rec.connected, "Connected call")
	cancel()
	if err := receive(t, done, "return from Run"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	<-conn.Done()
	if !conn.ClosedPolitely() {
		t.Error("stream not closed with </stream:stream>")
	}
	srv.Close()
	deadline := time.Now().Add(eventually)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestCancelWhileDisconnected(t *testing.T) {
	cfg := testConfig("127.0.0.1:1") // nothing listens there
	client := New(cfg, newRecorder())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- client.Run(ctx) }()
	deadline := time.Now().Add(eventually)
	for client.LastError() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := receive(t, done, "return from Run"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestSendQueueFull(t *testing.T) {
	client := New(Config{Address: "x:1", Domain: "d", MaxQueued: 10}, newRecorder())
	if err := client.Send([]byte("<a/><b/>")); err != nil {
		t.Fatal(err)
	}
	if err := client.Send([]byte("<c/>")); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Send over the limit = %v, want ErrQueueFull", err)
	}
	if n := client.Queued(); n != 1 {
		t.Errorf("Queued() = %d, want 1", n)
	}
}

func TestRunRejectsIncompleteConfig(t *testing.T) {
	for _, cfg := range []Config{{Domain: "d"}, {Address: "127.0.0.1:1"}} {
		if err := New(cfg, newRecorder()).Run(context.Background()); err == nil {
			t.Errorf("Run(%+v) accepted an incomplete config", cfg)
		}
	}
}
