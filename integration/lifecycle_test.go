package integration

import (
	"context"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// ampd stopped → a request is kept by the module (its grace, 20 s by default), not bounced;
// ampd started again within it → presence is rebuilt and the kept request is processed, without
// restarting the server; the server restarted → ampd reconnects by itself and rebuilds presence.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, envOptions{})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	bob := e.client(bobU, "pc", prio(3))
	e.befriend(alice, bob, aliceU, bobU)
	to := e.jid(bobU)
	notify := rule("notify", "deliver", "direct")

	e.ampd.stop()
	must(t, alice.SendRaw(ampMessage(to, "down1", "chat", notify)))
	expectNothing(t, alice, c2stest.All(c2stest.WithID("down1"), c2stest.WithType("error")))
	expectNothing(t, bob, bodyOf("down1"))

	// Back: bob was online all along; ampd learns it again from the server, and the request
	// kept meanwhile is diverted and processed.
	e.ampd = e.startAmpd()
	e.waitResource(e.jid(bobU), "pc", true)
	expectStanza(t, alice, replyTo("down1"), reply(e, alice.JID, to, "down1", "notify", notify))
	expectStanza(t, bob, bodyOf("down1"), "")
	must(t, alice.SendRaw(ampMessage(to, "up1", "chat", notify)))
	expectStanza(t, alice, replyTo("up1"), reply(e, alice.JID, to, "up1", "notify", notify))
	expectStanza(t, bob, bodyOf("up1"), "")

	// Prosody restarts: every client connection drops; ampd reconnects on its own.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	e.eventually("ampd reconnected", func() error { return e.ampd.d.Ready() })
	alice2 := e.client(aliceU, "phone2", prio(0))
	bob2 := e.client(bobU, "pc2", prio(0))
	e.waitResource(e.jid(bobU), "pc", false)
	must(t, alice2.SendRaw(ampMessage(to, "again1", "chat", notify)))
	expectStanza(t, alice2, replyTo("again1"), reply(e, alice2.JID, to, "again1", "notify", notify))
	expectStanza(t, bob2, bodyOf("again1"), "")
	if n := testutil.ToFloat64(e.ampd.metrics.ComponentReconnects); n < 1 {
		t.Errorf("reconnects metric = %v, want ≥ 1", n)
	}
}
