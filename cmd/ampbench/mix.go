package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// benchHost and benchDomain are the XMPP host and component domain of the isolated mode.
const (
	benchHost   = "localhost"
	benchDomain = "amp.localhost"
)

// template is one diverted message with the route id left out: the stanza is
// head + id + mid + id + tail.
type template struct {
	head, mid, tail string
}

// ruleSet is one AMP rule set the mix uses, with the recipient states it makes sense for.
type ruleSet struct {
	rules      string
	onlineOnly bool // expire-at to an offline recipient would be held (a durable write each)
}

// ruleSets are the rule sets of the mix, roughly as clients use AMP: mostly "tell me if it
// was stored" and "do not store it", some resource matching and expiry, a few invalid ones.
var ruleSets = []ruleSet{
	{rules: `<rule action='notify' condition='deliver' value='stored'/>`},
	{rules: `<rule action='notify' condition='deliver' value='stored'/>`},
	{rules: `<rule action='notify' condition='deliver' value='stored'/><rule action='notify' condition='deliver' value='direct'/>`},
	{rules: `<rule action='alert' condition='deliver' value='stored'/>`},
	{rules: `<rule action='drop' condition='deliver' value='stored'/>`},
	{rules: `<rule action='error' condition='deliver' value='none'/>`},
	{rules: `<rule action='error' condition='match-resource' value='exact'/><rule action='notify' condition='deliver' value='direct'/>`},
	{rules: `<rule action='drop' condition='match-resource' value='other'/>`},
	{rules: `<rule action='drop' condition='expire-at' value='2099-01-01T00:00:00Z'/>`, onlineOnly: true},
	{rules: `<rule action='notify' condition='expire-at' value='2099-01-01T00:00:00Z'/><rule action='notify' condition='deliver' value='stored'/>`, onlineOnly: true},
	{rules: `<rule action='explode' condition='deliver' value='stored'/>`}, // unsupported: bad-request
}

// mixOptions shape the generated traffic.
type mixOptions struct {
	templates  int     // distinct stanzas
	recipients int     // distinct local recipients
	online     float64 // share of recipients with an available resource
	seed       uint64
}

// onlineRecipient reports whether recipient i has a preloaded presence.
func (o mixOptions) onlineRecipient(i int) bool {
	return float64(i%1000) < o.online*1000
}

// presences returns the presence stanzas that make the online recipients available.
func (o mixOptions) presences() []string {
	var out []string
	for i := 0; i < o.recipients; i++ {
		if o.onlineRecipient(i) {
			out = append(out, fmt.Sprintf(`<presence from='user%d@%s/desktop' to='%s'><priority>%d</priority></presence>`, i, benchHost, benchDomain, i%3))
		}
	}
	return out
}

// body pads the inner message so that a divert is about 600 bytes, like a short chat message
// with a thread and a receipt request.
const body = `Are we still on for the review tomorrow at ten? I moved the slides to the shared folder; ` +
	`the numbers on page four changed after the last run, please have a look before.`

// templates builds the mix: random senders, recipients (local online, local offline with or
// without offline storage, some remote and unknown) and rule sets.
func (o mixOptions) build() []template {
	r := rand.New(rand.NewPCG(o.seed, 7))
	out := make([]template, 0, o.templates)
	for len(out) < o.templates {
		rs := ruleSets[r.IntN(len(ruleSets))]
		n := r.IntN(o.recipients)
		recipient, offline := "local", "store"
		to := fmt.Sprintf("user%d@%s", n, benchHost)
		online := o.onlineRecipient(n)
		switch k := r.IntN(100); {
		case k < 5:
			recipient, offline, online = "remote", "none", false
			to = fmt.Sprintf("user%d@remote.example", n)
		case k < 7:
			recipient, online = "unknown", false
			to = fmt.Sprintf("nobody%d@%s", n, benchHost)
		case k < 20:
			offline = "none"
		}
		if rs.onlineOnly && !online {
			continue
		}
		if strings.Contains(rs.rules, "match-resource") && r.IntN(2) == 0 {
			to += "/desktop"
		}
		from := fmt.Sprintf("sender%d@%s/phone", r.IntN(o.recipients), benchHost)
		inner := fmt.Sprintf(`<message xmlns='jabber:client' from='%s' to='%s' id='msg-%d' type='chat'>`+
			`<body>%s</body><thread>th-%d</thread><request xmlns='urn:xmpp:receipts'/>`+
			`<amp xmlns='http://jabber.org/protocol/amp' per-hop='false'>%s</amp></message>`,
			from, to, len(out), body, r.IntN(1e6), rs.rules)
		out = append(out, template{
			head: `<message from='` + benchHost + `' to='` + benchDomain + `' id='`,
			mid: `'><forwarded xmlns='urn:xmpp:forward:0'>` + inner + `</forwarded>` +
				`<route xmlns='urn:x-ampd:route:0' id='`,
			tail: `' origin='c2s' recipient='` + recipient + `' offline='` + offline + `'/></message>`,
		})
	}
	return out
}

// appendStanza appends template t with route id id to b.
func (t *template) appendStanza(b []byte, id []byte) []byte {
	b = append(b, t.head...)
	b = append(b, id...)
	b = append(b, t.mid...)
	b = append(b, id...)
	return append(b, t.tail...)
}
