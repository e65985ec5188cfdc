package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

func expireAt(d time.Duration) string {
	return time.Now().Add(d).UTC().Format("2006-01-02T15:04:05.000Z")
}

// delayed reports whether a stanza carries a XEP-0203 delay stamp from the server.
func delayed(s c2stest.Stanza) bool { return s.Child("urn:xmpp:delay", "delay") != nil }

// A message with an expire-at rule to an offline recipient is held by ampd: the sender hears
// "stored" once it is durable; the recipient gets it once, with a delay stamp, on coming
// online before the deadline — and not a second copy from the server's offline store.
func TestHeldReleasedBeforeDeadline(t *testing.T) {
	e := newEnv(t, envOptions{})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	e.befriendOffline(alice, aliceU, bobU)
	to := e.jid(bobU)
	rules := rule("notify", "deliver", "stored") + rule("drop", "expire-at", expireAt(time.Minute))
	must(t, alice.SendRaw(ampMessage(to, "h1", "chat", rules)))
	expectStanza(t, alice, replyTo("h1"), reply(e, alice.JID, to, "h1", "notify", rule("notify", "deliver", "stored")))
	e.eventually("held", func() error {
		if e.ampd.d.Held() != 1 {
			return errString("not held yet")
		}
		return nil
	})

	bob := e.client(bobU, "pc", prio(0))
	got := expectStanza(t, bob, bodyOf("h1"), "")
	if !delayed(got) {
		t.Errorf("released message has no delay stamp: %s", got.Raw)
	}
	if amp := string(got.Child(nsAMP, "amp")); !strings.Contains(amp, alice.JID) {
		t.Errorf("released <amp> not stamped: %s", amp)
	}
	expectNothing(t, bob, bodyOf("h1"))
	e.eventually("released", func() error {
		if n := e.ampd.d.Held(); n != 0 {
			return errString("still held")
		}
		return nil
	})
}

// The deadline passes while the recipient is offline: each action runs once, at the deadline;
// notify keeps the message for delivery.
func TestHeldExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, action := range []string{"drop", "alert", "error", "notify"} {
		t.Run(action, func(t *testing.T) {
			e.t = t
			aliceU, bobU := e.user("alice"), e.user("bob")
			alice := e.client(aliceU, "phone", prio(0))
			e.befriendOffline(alice, aliceU, bobU)
			to := e.jid(bobU)
			id := "x-" + action
			deadline := time.Now().Add(2 * time.Second)
			r := rule(action, "expire-at", deadline.UTC().Format("2006-01-02T15:04:05.000Z"))
			must(t, alice.SendRaw(ampMessage(to, id, "chat", r)))
			if action == "drop" {
				expectNothing(t, alice, replyTo(id))
			} else {
				expectStanza(t, alice, replyTo(id), reply(e, alice.JID, to, id, action, r))
				expectNothing(t, alice, replyTo(id)) // once
			}
			time.Sleep(time.Until(deadline.Add(500 * time.Millisecond)))
			bob := e.client(bobU, "pc", prio(0))
			if action == "notify" {
				got := expectStanza(t, bob, bodyOf(id), "")
				if !delayed(got) {
					t.Errorf("no delay stamp: %s", got.Raw)
				}
			}
			expectNothing(t, bob, bodyOf(id))
		})
	}
}
