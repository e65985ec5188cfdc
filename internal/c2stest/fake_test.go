package c2stest

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

// fakeServer accepts one connection on loopback and runs script on it, for
// the negotiation paths that a real server does not easily produce.
func fakeServer(t *testing.T, script func(conn net.Conn, sp *xmlstream.Splitter)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		script(conn, xmlstream.NewSplitter(conn, 1<<16))
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return l.Addr().String()
}

const serverHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='x' version='1.0'>`

func TestDialWithoutPlain(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, sp *xmlstream.Splitter) {
		if _, err := sp.Header(); err != nil {
			return
		}
		io.WriteString(conn, serverHeader+`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>`)
		_, _ = sp.Next() // until the client hangs up
	})
	_, err := Dial(context.Background(), addr, "u", "x", "p", "r")
	if err == nil || !strings.Contains(err.Error(), "does not offer SASL PLAIN") {
		t.Errorf("got %v, want the missing mechanism reported", err)
	}
}

func TestDialStreamError(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, sp *xmlstream.Splitter) {
		if _, err := sp.Header(); err != nil {
			return
		}
		io.WriteString(conn, serverHeader+`<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`)
	})
	_, err := Dial(context.Background(), addr, "u", "x", "p", "r")
	if err == nil || !strings.Contains(err.Error(), "host-unknown") {
		t.Errorf("got %v, want the stream error quoted", err)
	}
}

// A server that never answers does not hang Dial past its context.
func TestDialCancelled(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, sp *xmlstream.Splitter) {
		_, _ = sp.Header()
		_, _ = sp.Next() // never answer; return when the client hangs up
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Dial(ctx, addr, "u", "x", "p", "r")
		errc <- err
	}()
	cancel()
	if err := <-errc; err == nil {
		t.Error("Dial succeeded against a silent server")
	}
}

// The whole exchange against a scripted server: negotiation with a session,
// then Next, the backlog, stream end.
func TestScriptedSession(t *testing.T) {
	addr := fakeServer(t, func(conn net.Conn, sp *xmlstream.Splitter) {
		sp.Header()
		io.WriteString(conn, serverHeader+`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`)
		sp.Next() // auth
		io.WriteString(conn, `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`)
		sp = xmlstream.NewSplitter(conn, 1<<16)
		sp.Header()
		io.WriteString(conn, serverHeader+`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>`)
		sp.Next() // bind
		io.WriteString(conn, `<iq type='result' id='bind-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>u@x/r</jid></bind></iq>`)
		sp.Next() // session
		io.WriteString(conn, `<iq type='result' id='session-1'/>`)
		io.WriteString(conn, `<message id='1'/><message id='2'/><message id='3'/></stream:stream>`)
		sp.Next() // the client's </stream:stream>
	})
	ctx := context.Background()
	c, err := Dial(ctx, addr, "u", "x", "p", "r")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.JID != "u@x/r" {
		t.Errorf("JID = %q", c.JID)
	}
	if !strings.Contains(string(c.Features()), "xmpp-session") {
		t.Errorf("Features = %s", c.Features())
	}
	if s, err := c.Expect(ctx, WithID("2")); err != nil || s.ID != "2" {
		t.Fatalf("Expect(2) = %s, %v", s.Raw, err)
	}
	if raw, err := c.Next(ctx); err != nil || string(raw) != `<message id='1'/>` {
		t.Errorf("Next = %s, %v; want the skipped message 1 first", raw, err)
	}
	if raw, err := c.Next(ctx); err != nil || string(raw) != `<message id='3'/>` {
		t.Errorf("Next = %s, %v", raw, err)
	}
	if _, err := c.Next(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("Next after the stream end = %v, want io.EOF", err)
	}
	if err := c.ExpectNone(ctx, time.Millisecond, Any); err == nil {
		t.Error("ExpectNone on an ended stream succeeded")
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}
