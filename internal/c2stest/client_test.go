package c2stest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/xmlcanon"
)

func TestDialAndMessage(t *testing.T) {
	srv := startProsody(t, map[string]string{"alice": "alicepw", "bob": "bobpw"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alice := dial(ctx, t, srv, "alice", "alicepw", "a1")
	bob := dial(ctx, t, srv, "bob", "bobpw", "b1")
	if alice.JID != "alice@localhost/a1" || bob.JID != "bob@localhost/b1" {
		t.Fatalf("bound JIDs %q and %q", alice.JID, bob.JID)
	}
	if f := newStanza(bob.Features()); f.Name != "features" || !f.Has(NSBind, "bind") {
		t.Errorf("post-auth features without bind: %s", bob.Features())
	}

	// Available presence so that the server delivers to bob's resource; bob
	// gets his own presence back.
	if err := bob.Presence(5); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Expect(ctx, All(Named("presence"), From(bob.JID))); err != nil {
		t.Fatal(err)
	}

	// Unknown extension, xml:lang, escapes and non-ASCII must survive.
	sent := `<message to='` + bob.JID + `' type='chat' id='m1' xml:lang='fr'>` +
		`<body>caf&#xE9; &amp; &lt;tea&gt; — ☺</body>` +
		`<x xmlns='urn:example:unknown' a="it's"><y>deep</y></x></message>`
	if err := alice.SendRaw(sent); err != nil {
		t.Fatal(err)
	}
	got, err := bob.Expect(ctx, All(Named("message"), WithID("m1")))
	if err != nil {
		t.Fatal(err)
	}
	if got.From != alice.JID {
		t.Errorf("from = %q, want %q", got.From, alice.JID)
	}
	if want := "café & <tea> — ☺"; got.ChildText(NSClient, "body") != want {
		t.Errorf("body = %q, want %q", got.ChildText(NSClient, "body"), want)
	}
	// The server adds from; everything else must be the same by meaning.
	want := []byte(strings.Replace(sent, "<message ", "<message from='"+alice.JID+"' ", 1))
	if eq, diff := xmlcanon.Equal(InContext(want), got.InContext()); !eq {
		t.Errorf("delivered message differs from the one sent:\n%s\nreceived: %s", diff, got.Raw)
	}
}

func TestIQAndExpectNone(t *testing.T) {
	srv := startProsody(t, map[string]string{"carol": "carolpw"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	carol := dial(ctx, t, srv, "carol", "carolpw", "c1")

	// An id is added when the iq has none.
	reply, err := carol.IQ(ctx, `<iq type='get' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if !reply.Has("http://jabber.org/protocol/disco#info", "query") {
		t.Errorf("disco#info result without query: %s", reply.Raw)
	}
	// An error reply is returned with an error.
	reply, err = carol.IQ(ctx, `<iq type='get' id='bad' to='localhost'><nope xmlns='urn:example:none'/></iq>`)
	if err == nil || reply.Type != "error" || reply.ID != "bad" {
		t.Errorf("unsupported iq: reply %s, error %v", reply.Raw, err)
	}

	// A stanza that does not match stays in the backlog for a later Expect.
	if err := carol.SendRaw(`<message to='` + carol.JID + `' id='self'><body>x</body></message>`); err != nil {
		t.Fatal(err)
	}
	ping := `<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`
	if _, err := carol.IQ(ctx, ping); err != nil {
		t.Fatal(err)
	}
	if err := carol.ExpectNone(ctx, 200*time.Millisecond, WithID("never")); err != nil {
		t.Error(err)
	}
	if err := carol.ExpectNone(ctx, 200*time.Millisecond, WithID("self")); err == nil {
		t.Error("ExpectNone missed the message in the backlog")
	}
	if _, err := carol.Expect(ctx, WithID("self")); err != nil {
		t.Error(err)
	}

	// A failed Expect names what was received instead.
	if err := carol.SendRaw(`<message to='` + carol.JID + `' id='other'/>`); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.Expect(ctx, WithID("other")); err != nil {
		t.Fatal(err)
	}
	if err := carol.SendRaw(`<message to='` + carol.JID + `' id='seen'/>`); err != nil {
		t.Fatal(err)
	}
	if err := carol.ExpectNone(ctx, 500*time.Millisecond, WithID("missing")); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	_, err = carol.Expect(short, WithID("missing"))
	if err == nil || !strings.Contains(err.Error(), "id='seen'") {
		t.Errorf("Expect error does not list the received stanza: %v", err)
	}

	if err := carol.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

func TestDialWrongPassword(t *testing.T) {
	srv := startProsody(t, map[string]string{"dave": "davepw"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.addr, "dave", srv.domain, "wrong", "d1")
	if err == nil {
		c.Close()
		t.Fatal("Dial succeeded with a wrong password")
	}
	if !strings.Contains(err.Error(), "not-authorized") {
		t.Errorf("error does not carry the SASL failure: %v", err)
	}
}
