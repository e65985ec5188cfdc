package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/metrics"
)

type discardSender struct{ n int }

func (s *discardSender) Send(b []byte) error     { s.n += len(b); return nil }
func (s *discardSender) SendWait(b []byte) error { return s.Send(b) }

// BenchmarkDivert measures ampd's own work for one diverted request, from the stanza's bytes
// to the verdict's: divert parsing, message parsing, JIDs, presence, the decision, the reply
// and the verdict, metrics. The network is not included (see cmd/ampbench for that).
func BenchmarkDivert(b *testing.B) {
	cfg := config.Default()
	cfg.Component.Address, cfg.Component.Domain, cfg.Component.Secret = "127.0.0.1:1", "amp.localhost", "x"
	cfg.Server.Hosts = []string{"localhost"}
	cfg.Privacy.PresencePolicy = config.PolicyOff
	cfg.Store.Path = b.TempDir() + "/ampd.db"
	d, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.New(prometheus.NewRegistry()), Options{})
	if err != nil {
		b.Fatal(err)
	}
	out := &discardSender{}
	d.out = out
	h := handler{d}
	for u := range 100 {
		h.Stanza([]byte(fmt.Sprintf(`<presence from='bob%d@localhost/pc' to='amp.localhost'><priority>1</priority></presence>`, u)))
	}
	const n = 1 << 17 // more than the remembered routes: no re-divert hits
	stanzas := make([][]byte, n)
	for i := range stanzas {
		rules := `<rule action='notify' condition='deliver' value='stored'/><rule action='drop' condition='expire-at' value='2999-01-01T00:00:00Z'/>`
		if i%2 == 1 {
			rules = `<rule action='alert' condition='match-resource' value='other'/><rule action='notify' condition='deliver' value='direct'/>`
		}
		stanzas[i] = []byte(fmt.Sprintf(`<message from='localhost' to='amp.localhost'><forwarded xmlns='urn:xmpp:forward:0'>`+
			`<message xmlns='jabber:client' from='alice%d@localhost/phone' to='bob%d@localhost' id='m%d' type='chat' xml:lang='en'>`+
			`<body>Hello, this is a realistic chat message body of a typical length for a quick test.</body>`+
			`<active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='a1b2c3d4-e5f6'/>`+
			`<amp xmlns='http://jabber.org/protocol/amp'>%s</amp></message></forwarded>`+
			`<route xmlns='urn:x-ampd:route:0' id='r%d' origin='c2s' recipient='local' offline='store'/></message>`, i%100, i%100, i, rules, i))
	}
	b.SetBytes(int64(len(stanzas[0])))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		h.Stanza(stanzas[i%n])
		if i%16 == 15 {
			h.Idle() // the component calls it after each group of stanzas read together
		}
	}
	h.Idle()
	b.StopTimer()
	if out.n == 0 {
		b.Fatal("no verdict was sent")
	}
}
