package prosodytest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/component"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
	"github.com/ampd-xmpp/ampd/route"
)

// testTimeout bounds every wait of a test; generous, as the machine is shared.
const testTimeout = 30 * time.Second

// quiet is how long a test waits to see that something does not arrive.
const quiet = 1500 * time.Millisecond

// password of every test account.
const password = "pw"

// startSandbox starts a sandbox Prosody for t with users alice, bob and
// carol, stopped when t ends. It skips t when Prosody is unavailable.
func startSandbox(t *testing.T, o Options) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("prosodytest: integration test skipped in -short mode")
	}
	kind, err := serverkind.ForFamily(serverkind.Prosody)
	if err != nil {
		t.Fatal(err)
	}
	if kind.Trixie {
		// The matrix asked for this version: install it or fail, never skip.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := serverkind.EnsureTrixie(ctx, os.Stderr); err != nil {
			t.Fatal(err)
		}
		o.Root = kind.Root()
	} else if !Installed() {
		if os.Getenv("AMPD_INSTALL_PROSODY") == "" {
			t.Skip("prosodytest: prosody is not installed (scripts/install-prosody.sh, or AMPD_INSTALL_PROSODY=1)")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := EnsureInstalled(ctx, os.Stderr); err != nil {
			t.Skip(err)
		}
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Users == nil {
		o.Users = map[string]string{"alice": password, "bob": password, "carol": password}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout*2)
	defer cancel()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Log(s.LogTail(60))
		}
	})
	return s
}

// stub stands in for ampd: a real XEP-0114 connection recording every
// stanza the server sends it.
type stub struct {
	t      *testing.T
	client *component.Client
	ups    chan struct{}
	downs  chan struct{}
	in     chan []byte
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	backlog [][]byte
}

func (c *stub) Connected() {
	select {
	case c.ups <- struct{}{}:
	default:
	}
}

func (c *stub) Stanza(raw []byte) {
	select {
	case c.in <- append([]byte(nil), raw...):
	default:
		c.t.Errorf("stub component: inbox full, dropped %s", raw)
	}
}

func (c *stub) Disconnected(error) {
	select {
	case c.downs <- struct{}{}:
	default:
	}
}

// connectStub connects a stand-in component and waits for its handshake;
// it disconnects when t ends.
func connectStub(t *testing.T, s *Server) *stub {
	t.Helper()
	c := &stub{t: t, ups: make(chan struct{}, 1), downs: make(chan struct{}, 1), in: make(chan []byte, 4096), done: make(chan struct{})}
	c.client = component.New(component.Config{
		Address:    s.ComponentAddr,
		Domain:     s.ComponentDomain,
		Secret:     s.Secret,
		BackoffMin: 100 * time.Millisecond,
		BackoffMax: 500 * time.Millisecond,
	}, c)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		defer close(c.done)
		_ = c.client.Run(ctx)
	}()
	t.Cleanup(c.close)
	c.waitUp(t)
	return c
}

func (c *stub) waitUp(t *testing.T) {
	t.Helper()
	select {
	case <-c.ups:
	case <-time.After(testTimeout):
		t.Fatalf("stub component did not connect: %v", c.client.LastError())
	}
}

// close disconnects the component and waits until Run has returned.
func (c *stub) close() {
	c.cancel()
	<-c.done
}

// send writes raw stanza bytes to the server.
func (c *stub) send(t *testing.T, raw []byte) {
	t.Helper()
	if err := c.client.Send(raw); err != nil {
		t.Fatal(err)
	}
}

// expect returns the first stanza (backlog first) for which match is true.
func (c *stub) expect(t *testing.T, what string, match func([]byte) bool) []byte {
	t.Helper()
	c.mu.Lock()
	for i, raw := range c.backlog {
		if match(raw) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			c.mu.Unlock()
			return raw
		}
	}
	c.mu.Unlock()
	deadline := time.After(testTimeout)
	for {
		select {
		case raw := <-c.in:
			if match(raw) {
				return raw
			}
			c.mu.Lock()
			c.backlog = append(c.backlog, raw)
			c.mu.Unlock()
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("stub component: no %s; received meanwhile:\n%s", what, joinRaw(c.backlog))
			return nil
		}
	}
}

// expectNone fails when a stanza for which match is true arrives within d.
func (c *stub) expectNone(t *testing.T, what string, d time.Duration, match func([]byte) bool) {
	t.Helper()
	c.mu.Lock()
	for _, raw := range c.backlog {
		if match(raw) {
			c.mu.Unlock()
			t.Fatalf("stub component: unexpected %s: %s", what, raw)
		}
	}
	c.mu.Unlock()
	deadline := time.After(d)
	for {
		select {
		case raw := <-c.in:
			if match(raw) {
				t.Fatalf("stub component: unexpected %s: %s", what, raw)
			}
			c.mu.Lock()
			c.backlog = append(c.backlog, raw)
			c.mu.Unlock()
		case <-deadline:
			return
		}
	}
}

// expectDivert waits for the divert of the message with the given id.
func (c *stub) expectDivert(t *testing.T, msgID string) route.Divert {
	t.Helper()
	var d route.Divert
	c.expect(t, "divert of "+msgID, func(raw []byte) bool {
		got, err := route.ParseDivert(raw)
		if err != nil {
			return false
		}
		if !strings.Contains(string(got.Message), "id='"+msgID+"'") && !strings.Contains(string(got.Message), `id="`+msgID+`"`) {
			return false
		}
		d = got
		return true
	})
	return d
}

func isDivert(raw []byte) bool {
	_, err := route.ParseDivert(raw)
	return err == nil
}

func joinRaw(list [][]byte) string {
	var b strings.Builder
	for _, raw := range list {
		fmt.Fprintf(&b, "  %s\n", raw)
	}
	if b.Len() == 0 {
		return "  (nothing)\n"
	}
	return b.String()
}

// dial connects user with resource to s, closed when t ends.
func dial(t *testing.T, s *Server, user, resource string) *c2stest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := c2stest.Dial(ctx, s.C2SAddr, user, s.Host, password, resource)
	if err != nil {
		t.Fatalf("dial %s: %v\n%s", user, err, s.LogTail(30))
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// online dials user and sends available presence with priority 0.
func online(t *testing.T, s *Server, user, resource string) *c2stest.Client {
	t.Helper()
	c := dial(t, s, user, resource)
	if err := c.Presence(0); err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxT() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), testTimeout)
}

// expectClient waits for a stanza at c matching all of matches.
func expectClient(t *testing.T, c *c2stest.Client, matches ...func(c2stest.Stanza) bool) c2stest.Stanza {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	got, err := c.Expect(ctx, c2stest.All(matches...))
	if err != nil {
		t.Fatalf("%s: %v", c.JID, err)
	}
	return got
}

// expectNoClient fails when a stanza matching all of matches reaches c within quiet.
func expectNoClient(t *testing.T, c *c2stest.Client, matches ...func(c2stest.Stanza) bool) {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	if err := c.ExpectNone(ctx, quiet, c2stest.All(matches...)); err != nil {
		t.Fatalf("%s: %v", c.JID, err)
	}
}

// ampMessage is an AMP request from a client (no from: the server stamps it).
func ampMessage(to, id, body string) string {
	return fmt.Sprintf("<message to='%s' id='%s' type='chat'><body>%s</body>"+
		"<amp xmlns='http://jabber.org/protocol/amp'><rule condition='deliver' value='direct' action='notify'/></amp></message>",
		to, id, body)
}

// announce makes the stub announce features.
func (c *stub) announce(t *testing.T, s *Server, features ...string) {
	t.Helper()
	c.send(t, route.AppendAnnounce(nil, s.ComponentDomain, s.Host, features))
}

// message matches a message that is not mod_privilege's announcement: when
// mod_privilege is loaded on the VirtualHost, every client gets an empty
// <privilege xmlns='urn:xmpp:privilege:2'/> message after its initial presence.
func message(st c2stest.Stanza) bool {
	return st.Name == "message" && !st.Has(route.NSPrivilege2, "privilege")
}
