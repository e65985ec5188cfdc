package daemon

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/config"
)

// SIGHUP: a reload swaps the enabled features, re-announces them, and validation follows at
// once; the reload gauge says it worked.
func TestReloadReannouncesAndRevalidates(t *testing.T) {
	h := start(t, nil)
	cfg := config.Default()
	cfg.AMP.Actions = []string{"drop", "notify"}
	cfg.AMP.Conditions = []string{"deliver"}
	cfg.Privacy.PresencePolicy = config.PolicyOff
	if err := h.d.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	h.expect(`<message from='amp.localhost' to='localhost'><announce xmlns='urn:x-ampd:route:0'>` +
		`<feature var='http://jabber.org/protocol/amp'/><feature var='http://jabber.org/protocol/amp?action=drop'/>` +
		`<feature var='http://jabber.org/protocol/amp?action=notify'/><feature var='http://jabber.org/protocol/amp?condition=deliver'/>` +
		`</announce></message>`)
	h.send(divert("a1", "local", "store", msg("bob@localhost", `<rule action='alert' condition='deliver' value='stored'/>`)))
	h.expect(verdict("a1", "discard", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1' type='error'>`+
		`<amp xmlns='http://jabber.org/protocol/amp'><rule action='alert' condition='deliver' value='stored'/></amp>`+
		`<error type='modify' code='400'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
		`<unsupported-actions xmlns='http://jabber.org/protocol/amp'><rule action='alert' condition='deliver' value='stored'/></unsupported-actions></error></message>`))
	if v := testutil.ToFloat64(h.metrics.ConfigLastReloadSuccessful); v != 1 {
		t.Errorf("reload gauge = %v, want 1", v)
	}
}

// server.reply_from = "component": replies come from the component's own address.
func TestReplyFromComponent(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Server.ReplyFrom = config.ReplyFromComponent })
	h.send(divert("c1", "local", "store", msg("bob@localhost", `<rule action='alert' condition='deliver' value='stored'/>`)))
	h.expect(verdict("c1", "discard", `<message xmlns='jabber:client' from='amp.localhost' to='alice@localhost/phone' id='m1'>`+
		`<amp xmlns='http://jabber.org/protocol/amp' status='alert' from='alice@localhost/phone' to='bob@localhost'><rule action='alert' condition='deliver' value='stored'/></amp></message>`))
}
