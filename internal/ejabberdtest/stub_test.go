package ejabberdtest

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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

// stubComponent stands in for ampd: a real XEP-0114 connection that records
// every stanza the server sends it.
type stubComponent struct {
	client    *component.Client
	connected chan struct{}
	stanzas   chan []byte
	backlog   [][]byte
	syncs     int
	close     func() // disconnects it and waits until Run has returned; safe to call twice
	// onConnect, when set, is sent as soon as the handshake succeeds, as ampd sends its
	// announcement.
	onConnect []byte
}

func (c *stubComponent) Connected() {
	if c.onConnect != nil {
		_ = c.client.Send(c.onConnect)
	}
	select {
	case c.connected <- struct{}{}:
	default:
	}
}

func (c *stubComponent) Stanza(raw []byte) {
	c.stanzas <- append([]byte(nil), raw...)
}

func (c *stubComponent) Disconnected(error) {}

// connectComponent connects a stand-in component and waits for its
// handshake; it disconnects when the test ends.
func connectComponent(t *testing.T, s *Server) *stubComponent {
	t.Helper()
	return connectComponentSending(t, s, nil)
}

// connectComponentSending is connectComponent that sends onConnect right after the handshake.
func connectComponentSending(t *testing.T, s *Server, onConnect []byte) *stubComponent {
	t.Helper()
	stub := &stubComponent{connected: make(chan struct{}, 1), stanzas: make(chan []byte, 1024), onConnect: onConnect}
	stub.client = component.New(component.Config{
		Address: s.ComponentAddr,
		Domain:  s.ComponentDomain,
		Secret:  s.Secret,
	}, stub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = stub.client.Run(ctx)
	}()
	stub.close = func() {
		cancel()
		<-done
	}
	t.Cleanup(stub.close)
	select {
	case <-stub.connected:
	case <-time.After(testTimeout):
		t.Fatalf("component did not connect: %v", stub.client.LastError())
	}
	stub.awaitGrant(t)
	return stub
}

// awaitGrant waits for mod_privilege's grant after a (re)connection, as ampd does before it
// sends anything: ejabberd 24.12 grants asynchronously and drops a component's IQ sent
// before ("IQ not forwarded: Component seems disconnected").
func (c *stubComponent) awaitGrant(t *testing.T) {
	t.Helper()
	c.expect(t, "privilege grant", func(raw []byte) bool {
		return bytes.Contains(raw, []byte("urn:xmpp:privilege:"))
	})
}

func (c *stubComponent) send(t *testing.T, raw []byte) {
	t.Helper()
	if err := c.client.Send(raw); err != nil {
		t.Fatal(err)
	}
}

// expect returns the first stanza (from the backlog, then the stream) that
// match accepts, keeping the others for later calls.
func (c *stubComponent) expect(t *testing.T, what string, match func([]byte) bool) []byte {
	t.Helper()
	for i, raw := range c.backlog {
		if match(raw) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return raw
		}
	}
	deadline := time.After(testTimeout)
	for {
		select {
		case raw := <-c.stanzas:
			if match(raw) {
				return raw
			}
			c.backlog = append(c.backlog, raw)
		case <-deadline:
			t.Fatalf("component: no %s arrived; got instead:\n%s", what, joinRaw(c.backlog))
			return nil
		}
	}
}

// expectNone fails if a stanza that match accepts is waiting or arrives
// within quiet.
func (c *stubComponent) expectNone(t *testing.T, what string, match func([]byte) bool) {
	t.Helper()
	for _, raw := range c.backlog {
		if match(raw) {
			t.Fatalf("component: unexpected %s: %s", what, raw)
		}
	}
	deadline := time.After(quiet)
	for {
		select {
		case raw := <-c.stanzas:
			if match(raw) {
				t.Fatalf("component: unexpected %s: %s", what, raw)
			}
			c.backlog = append(c.backlog, raw)
		case <-deadline:
			return
		}
	}
}

func joinRaw(list [][]byte) string {
	var b strings.Builder
	for _, raw := range list {
		b.Write(raw)
		b.WriteByte('\n')
	}
	return b.String()
}

// root is the name and attributes of a stanza's top element.
type root struct {
	name  string
	attrs map[string]string
}

func parseRoot(raw []byte) (root, error) {
	d := xml.NewDecoder(strings.NewReader(string(raw)))
	for {
		tok, err := d.Token()
		if err != nil {
			return root{}, fmt.Errorf("no start element: %w", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			r := root{name: start.Name.Local, attrs: map[string]string{}}
			for _, a := range start.Attr {
				r.attrs[a.Name.Local] = a.Value
			}
			return r, nil
		}
	}
}

// stanzaFrom matches a top element by name, from and type ("" = any type).
func stanzaFrom(name, from, typ string) func([]byte) bool {
	return func(raw []byte) bool {
		r, err := parseRoot(raw)
		return err == nil && r.name == name && r.attrs["from"] == from &&
			(typ == "" || r.attrs["type"] == typ)
	}
}

// findElement returns the attributes and character data of the first
// element at any depth with the given namespace and local name.
func findElement(raw []byte, ns, local string) (map[string]string, bool) {
	d := xml.NewDecoder(strings.NewReader(string(raw)))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return nil, false
		}
		if start, ok := tok.(xml.StartElement); ok && start.Name.Space == ns && start.Name.Local == local {
			attrs := map[string]string{}
			for _, a := range start.Attr {
				if a.Name.Space == "" {
					attrs[a.Name.Local] = a.Value
				}
			}
			return attrs, true
		}
	}
}

// client dials a c2s session and closes it when the test ends.
func client(t *testing.T, s *Server, user, password, resource string) *c2stest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := c2stest.Dial(ctx, s.C2SAddr, user, s.Host, password, resource)
	if err != nil {
		t.Fatalf("dial %s: %v\n%s", user, err, s.LogTail(40))
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// announce sends ampd's announcement and waits until the server has
// processed it: the server handles a component's stanzas in order, so the
// answer to a later query means the announcement is in effect. The query is a
// roster get: ejabberd 24.10-24.12's mod_privilege drops every other unwrapped
// IQ a component sends to a local host (a disco#info would never be answered).
func (c *stubComponent) announce(t *testing.T, s *Server, features []string) {
	t.Helper()
	c.send(t, route.AppendAnnounce(nil, s.ComponentDomain, s.Host, features))
	c.syncs++
	id := fmt.Sprintf("sync%d", c.syncs)
	c.send(t, []byte(fmt.Sprintf(`<iq type='get' id='%s' from='%s' to='%s'><query xmlns='jabber:iq:roster'/></iq>`,
		id, s.ComponentDomain, s.Host)))
	c.expect(t, "answer to "+id, func(raw []byte) bool {
		r, err := parseRoot(raw)
		return err == nil && r.name == "iq" && r.attrs["id"] == id
	})
}

var (
	installOnce sync.Once
	installErr  error
)

// startServer starts a sandbox for the test, installing ejabberd first if
// needed, and skips the test only when ejabberd cannot be installed.
func startServer(t *testing.T, o Options) *Server {
	t.Helper()
	o.Root = ensureServer(t)
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	s, err := Start(ctxFor(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ejabberd log tail:\n%s", s.LogTail(80))
		}
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// ensureServer installs the ejabberd of the test's server kind when needed and returns its
// root (Options.Root); it skips the test only when the host's ejabberd cannot be installed.
func ensureServer(t *testing.T) string {
	t.Helper()
	kind, err := serverkind.ForFamily(serverkind.Ejabberd)
	if err != nil {
		t.Fatal(err)
	}
	installOnce.Do(func() {
		var log strings.Builder
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		ensure := EnsureInstalled
		if kind.Trixie {
			ensure = serverkind.EnsureTrixie
		}
		if err := ensure(ctx, &log); err != nil {
			installErr = fmt.Errorf("%w\n%s", err, log.String())
		}
	})
	if installErr != nil {
		if kind.Trixie {
			// The matrix asked for this version: fail, never skip.
			t.Fatalf("%s could not be installed: %v", kind.Title, installErr)
		}
		t.Skipf("ejabberd is not installed and could not be: %v", installErr)
	}
	return kind.Root()
}
