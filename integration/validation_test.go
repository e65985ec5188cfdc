package integration

import (
	"testing"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// Validation errors of every class (amp-semantics §2), sent through a real Prosody: the reply
// is the spec's error stanza from the server's domain, and the message is never delivered.
func TestValidationErrors(t *testing.T) {
	e := newEnv(t, envOptions{edit: func(c *config.Config) {
		c.AMP.Conditions = []string{"deliver", "match-resource"} // expire-at disabled: unsupported
	}})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	bob := e.client(bobU, "pc", prio(0))
	e.befriend(alice, bob, aliceU, bobU)
	to := e.jid(bobU)
	const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	errReply := func(id, amp, errEl string) string {
		return `<message from='` + e.srv.Host + `' to='` + alice.JID + `' id='` + id + `' type='error'>` + amp + errEl + `</message>`
	}
	tests := []struct {
		name, id, amp, wantError string
	}{
		{"unsupported-action", "v1",
			`<amp xmlns='http://jabber.org/protocol/amp'>` + rule("explode", "deliver", "stored") + rule("notify", "deliver", "direct") + rule("launch", "deliver", "none") + `</amp>`,
			`<error type='modify' code='400'><bad-request xmlns='` + stanzas + `'/><unsupported-actions xmlns='http://jabber.org/protocol/amp'>` +
				rule("explode", "deliver", "stored") + rule("launch", "deliver", "none") + `</unsupported-actions></error>`},
		{"unsupported-condition-disabled-by-config", "v2",
			`<amp xmlns='http://jabber.org/protocol/amp'>` + rule("drop", "expire-at", "2030-01-01T00:00:00Z") + `</amp>`,
			`<error type='modify' code='400'><bad-request xmlns='` + stanzas + `'/><unsupported-conditions xmlns='http://jabber.org/protocol/amp'>` +
				rule("drop", "expire-at", "2030-01-01T00:00:00Z") + `</unsupported-conditions></error>`},
		{"invalid-rules", "v3",
			`<amp xmlns='http://jabber.org/protocol/amp'>` + rule("notify", "deliver", "teleport") + rule("alert", "match-resource", "") + `</amp>`,
			`<error type='modify' code='406'><not-acceptable xmlns='` + stanzas + `'/><invalid-rules xmlns='http://jabber.org/protocol/amp'>` +
				rule("notify", "deliver", "teleport") + rule("alert", "match-resource", "") + `</invalid-rules></error>`},
		{"precedence-actions-first", "v4",
			`<amp xmlns='http://jabber.org/protocol/amp'>` + rule("notify", "deliver", "teleport") + rule("explode", "deliver", "stored") + `</amp>`,
			`<error type='modify' code='400'><bad-request xmlns='` + stanzas + `'/><unsupported-actions xmlns='http://jabber.org/protocol/amp'>` +
				rule("explode", "deliver", "stored") + `</unsupported-actions></error>`},
		{"empty-ruleset", "v5",
			`<amp xmlns='http://jabber.org/protocol/amp'/>`,
			`<error type='modify' code='400'><bad-request xmlns='` + stanzas + `'/><text xmlns='` + stanzas + `'>an amp element requires at least one rule</text></error>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must(t, alice.SendRaw(`<message to='`+to+`' id='`+tc.id+`' type='chat'><body>body of `+tc.id+`</body>`+tc.amp+`</message>`))
			expectStanza(t, alice, c2stest.All(c2stest.WithID(tc.id), c2stest.WithType("error")), errReply(tc.id, tc.amp, tc.wantError))
			expectNothing(t, bob, bodyOf(tc.id))
		})
	}
	t.Run("missing-id", func(t *testing.T) {
		must(t, alice.SendRaw(`<message to='`+to+`' type='chat'><body>body of noid</body><amp xmlns='http://jabber.org/protocol/amp'>`+rule("notify", "deliver", "direct")+`</amp></message>`))
		got := expectStanza(t, alice, c2stest.All(c2stest.Named("message"), c2stest.WithType("error")), "")
		if got.Find(stanzas, "bad-request") == nil || got.Find(stanzas, "text") == nil {
			t.Fatalf("missing id: want bad-request, got %s", got.Raw)
		}
		expectNothing(t, bob, bodyOf("noid"))
	})
}

// A stranger probing a user gets not-acceptable whatever the target's presence; the same rule
// from a contact is answered for real (§9, roster policy).
func TestPresencePolicy(t *testing.T) {
	e := newEnv(t, envOptions{})
	strangerU, friendU, bobU := e.user("stranger"), e.user("friend"), e.user("bob")
	stranger := e.client(strangerU, "x", prio(0))
	friend := e.client(friendU, "y", prio(0))
	e.befriendOffline(friend, friendU, bobU)
	to := e.jid(bobU)
	probe := rule("alert", "deliver", "stored")
	refusal := func(c *c2stest.Client, id string) string {
		return `<message from='` + e.srv.Host + `' to='` + c.JID + `' id='` + id + `' type='error'><amp xmlns='http://jabber.org/protocol/amp'>` + probe + `</amp>` +
			`<error type='modify' code='406'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><invalid-rules xmlns='http://jabber.org/protocol/amp'>` + probe + `</invalid-rules></error></message>`
	}
	// Offline target.
	must(t, stranger.SendRaw(ampMessage(to, "s1", "chat", probe)))
	offlineAnswer := expectStanza(t, stranger, c2stest.WithID("s1"), refusal(stranger, "s1"))
	must(t, friend.SendRaw(ampMessage(to, "f1", "chat", probe)))
	expectStanza(t, friend, replyTo("f1"), reply(e, friend.JID, to, "f1", "alert", probe))
	// Online target: the stranger's answer is byte-identical.
	bob := e.client(bobU, "pc", prio(0))
	must(t, stranger.SendRaw(ampMessage(to, "s1", "chat", probe)))
	onlineAnswer := expectStanza(t, stranger, c2stest.WithID("s1"), refusal(stranger, "s1"))
	if string(onlineAnswer.Raw) != string(offlineAnswer.Raw) {
		t.Errorf("the refusal depends on presence:\noffline %s\nonline  %s", offlineAnswer.Raw, onlineAnswer.Raw)
	}
	expectNothing(t, bob, bodyOf("s1"))
	// A drop rule reveals nothing and is accepted from anyone.
	must(t, stranger.SendRaw(ampMessage(to, "s2", "chat", rule("drop", "deliver", "stored"))))
	expectStanza(t, bob, bodyOf("s2"), "")
	// Own resources: always allowed.
	own := e.client(bobU, "phone", prio(0))
	must(t, own.SendRaw(ampMessage(to+"/pc", "o1", "chat", rule("notify", "match-resource", "exact"))))
	expectStanza(t, own, replyTo("o1"), reply(e, own.JID, to+"/pc", "o1", "notify", rule("notify", "match-resource", "exact")))
}
