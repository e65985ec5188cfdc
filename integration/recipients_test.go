package integration

import (
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// Recipients with no offline storage, and accounts that do not exist (amp-semantics §3, §6).
func TestRecipientsWithoutStorage(t *testing.T) {
	e := newEnv(t, envOptions{server: serverOptions{WithoutOffline: true}})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	e.befriendOffline(alice, aliceU, bobU)
	to := e.jid(bobU)

	// Offline, and the server stores nothing: the disposition is none, not stored.
	none := rule("notify", "deliver", "none")
	must(t, alice.SendRaw(ampMessage(to, "n1", "chat", rule("alert", "deliver", "stored")+none)))
	expectStanza(t, alice, replyTo("n1"), reply(e, alice.JID, to, "n1", "notify", none))

	// An unknown account: a stranger's presence-revealing rule is refused exactly like for an
	// existing account (§6), which hides whether the account exists.
	ghost := "nobody-" + aliceU + "@" + e.srv.Host
	probe := rule("alert", "deliver", "none")
	must(t, alice.SendRaw(ampMessage(ghost, "u1", "chat", probe)))
	got := expectStanza(t, alice, c2stest.All(c2stest.WithID("u1"), c2stest.WithType("error")), "")
	if got.Find("http://jabber.org/protocol/amp", "invalid-rules") == nil {
		t.Fatalf("unknown account: want not-acceptable/invalid-rules, got %s", got.Raw)
	}
	// A drop rule is accepted from anyone: met (deliver=none), the message vanishes, no bounce.
	must(t, alice.SendRaw(ampMessage(ghost, "u2", "chat", rule("drop", "deliver", "none"))))
	expectNothing(t, alice, c2stest.WithID("u2"))
}
