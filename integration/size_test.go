package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// c2sStanzaLimit is the c2s stanza limit of both test servers (Prosody's default
// c2s_stanza_size_limit, ejabberd's max_stanza_size in the test configuration).
const c2sStanzaLimit = 256 << 10

// bigMessage is an AMP message from the client of about size bytes whose body repeats fill.
// With whole, it also has an expire-at rule far in the future: a hold is possible, so the
// module diverts the whole message; without, the divert is slim (docs/PROTOCOL.md §1).
func bigMessage(to, id, fill string, size int, whole bool) (stanza, body string) {
	head := `<message to='` + to + `' id='` + id + `' type='chat'><body>`
	rules := rule("notify", "deliver", "direct")
	if whole {
		rules += rule("drop", "expire-at", "2999-01-01T00:00:00Z")
	}
	tail := `</body><amp xmlns='` + nsAMP + `'>` + rules + `</amp></message>`
	body = strings.Repeat(fill, (size-len(head)-len(tail))/len(fill))
	return head + xmlEscapeText(body) + tail, body
}

// xmlEscapeText escapes only what character data must: quotes stay raw, as a client sends
// them, and the server re-escapes them when it writes the divert.
func xmlEscapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(s)
}

// The largest message the server accepts from a client, and one as large made of the
// characters the server re-escapes (' and " become six bytes each in the divert), are both
// processed: delivered whole and notified.
func TestLargestMessagesProcessed(t *testing.T) {
	e := newEnv(t, envOptions{})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	bob := e.client(bobU, "pc", prio(0))
	e.befriend(alice, bob, aliceU, bobU)
	// 2 KiB under the limit: the limit counts the stanza as the server parses it.
	const size = c2sStanzaLimit - 2<<10
	for _, tc := range []struct{ id, fill string }{
		{"largest", "0123456789"},
		{"quotes", `'"`},
	} {
		stanza, body := bigMessage(e.jid(bobU), tc.id, tc.fill, size, true)
		start := time.Now()
		must(t, alice.SendRaw(stanza))
		got := expectStanza(t, bob, c2stest.All(c2stest.Named("message"), c2stest.WithID(tc.id)), "")
		if text := got.ChildText("jabber:client", "body"); text != body {
			t.Fatalf("%s: delivered a body of %d characters, sent %d", tc.id, len(text), len(body))
		}
		expectStanza(t, alice, replyTo(tc.id), "")
		t.Logf("%s: %d-byte stanza delivered and notified in %v", tc.id, len(stanza), time.Since(start).Round(time.Millisecond))
	}
}

// A divert over ampd's limit is answered at once — a policy-violation to the sender, the
// message not delivered against rules nobody read — never left to the module's time-out.
func TestOversizedDivertAnsweredAtOnce(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, envOptions{edit: func(c *config.Config) { c.Component.MaxStanzaBytes = limit }})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	bob := e.client(bobU, "pc", prio(0))
	e.befriend(alice, bob, aliceU, bobU)
	stanza, _ := bigMessage(e.jid(bobU), "too-big", "x", 2*limit, true)
	start := time.Now()
	must(t, alice.SendRaw(stanza))
	got := expectStanza(t, alice, c2stest.All(c2stest.Named("message"), c2stest.WithID("too-big"), c2stest.WithType("error")), "")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the refusal took %v: the module waited for a verdict", took)
	}
	if !strings.Contains(string(got.Raw), "policy-violation") {
		t.Errorf("the refusal is not a policy-violation: %s", got.Raw)
	}
	// The recipient gets nothing: a small message after it arrives first.
	must(t, alice.SendRaw(`<message to='`+e.jid(bobU)+`' id='after' type='chat'><body>after</body></message>`))
	first := expectStanza(t, bob, c2stest.All(c2stest.Named("message"), c2stest.WithChild("jabber:client", "body")), "")
	if id := first.Attr("id"); id != "after" {
		t.Errorf("the recipient got %q before the message sent after the refused one", id)
	}
}

// A slim divert (no hold possible) stays small whatever the message's size: a message twice
// ampd's limit is processed, delivered whole and notified, as it would be under the limit.
func TestSlimDivertOverAmpdLimitProcessed(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, envOptions{edit: func(c *config.Config) { c.Component.MaxStanzaBytes = limit }})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	bob := e.client(bobU, "pc", prio(0))
	e.befriend(alice, bob, aliceU, bobU)
	stanza, body := bigMessage(e.jid(bobU), "big-slim", "x", 2*limit, false)
	must(t, alice.SendRaw(stanza))
	got := expectStanza(t, bob, c2stest.All(c2stest.Named("message"), c2stest.WithID("big-slim")), "")
	if text := got.ChildText("jabber:client", "body"); text != body {
		t.Fatalf("delivered a body of %d characters, sent %d", len(text), len(body))
	}
	expectStanza(t, alice, replyTo("big-slim"), "")
}
