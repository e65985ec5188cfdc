package daemon

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/config"
)

// A divert over component.max_stanza_bytes is answered at once from its first bytes: discard,
// with a policy-violation to the sender; a re-divert gets the same verdict, and the
// connection goes on.
func TestOversizedDivertRefused(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Component.MaxStanzaBytes = config.MinStanzaBytes })
	body := strings.Repeat("it&apos;s ", config.MinStanzaBytes/4)
	big := strings.Replace(divert("r9", "local", "store", msg("bob@localhost", `<rule action='notify' condition='deliver' value='stored'/>`)),
		"<message from='localhost' to='amp.localhost'>", "<message from='localhost' to='amp.localhost' id='r9'>", 1)
	big = strings.Replace(big, "secret body", body, 1)
	want := verdict("r9", "discard", `<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1' type='error'>`+
		`<error type='modify'><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
		`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>message too large for AMP processing (limit 1024 bytes as the server forwards it): send it shorter, or without AMP rules</text>`+
		`</error></message>`)
	h.send(big)
	h.expect(want)
	h.send(big) // re-diverted after a reconnect: the same answer, decided once
	h.expect(want)
	h.send(`<message from='localhost' to='amp.localhost' id='x'><body>` + body + `</body></message>`) // not a divert: counted only
	h.send(divert("r10", "local", "store", msg("bob@localhost", `<rule action='drop' condition='deliver' value='stored'/>`)))
	h.expect(verdict("r10", "discard", ""))
	if got := testutil.ToFloat64(h.metrics.StanzasSkipped.WithLabelValues("oversized")); got != 3 {
		t.Errorf("ampd_stanzas_skipped_total{reason=oversized} = %v, want 3", got)
	}
	if got := testutil.ToFloat64(h.metrics.ValidationErrors.WithLabelValues("too-large")); got != 1 {
		t.Errorf("ampd_validation_errors_total{class=too-large} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.metrics.DuplicateRoutes); got != 1 {
		t.Errorf("ampd_duplicate_routes_total = %v, want 1", got)
	}
}
