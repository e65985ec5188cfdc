package resolver

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// canonical renders XML as one line per start element, end element and non-blank text,
// with resolved namespaces and sorted attributes, so that replies compare by meaning and
// not by prefix choice, quoting or attribute order.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	var out strings.Builder
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out.String()
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			var attrs []string
			for _, a := range tok.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, a.Name.Space+":"+a.Name.Local+"="+strconv.Quote(a.Value))
			}
			slices.Sort(attrs)
			fmt.Fprintf(&out, "<{%s}%s %s>\n", tok.Name.Space, tok.Name.Local, strings.Join(attrs, " "))
		case xml.EndElement:
			fmt.Fprintf(&out, "</{%s}%s>\n", tok.Name.Space, tok.Name.Local)
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				fmt.Fprintf(&out, "%q\n", s)
			}
		}
	}
}

// TestReply is XML in, XML out: XEP-0079 request examples through Decide and Reply, compared
// with the reply examples as amp-semantics §2 and §5 correct them.
func TestReply(t *testing.T) {
	var (
		before2004  = time.Date(2003, 6, 1, 0, 0, 0, 0, time.UTC)
		noDrop, _   = newFeatures([]string{"alert", "error", "notify"}, KnownConditions(), KnownDeliverValues(), KnownMatchResourceValues())
		noExpiry, _ = newFeatures(KnownActions(), []string{"deliver", "match-resource"}, KnownDeliverValues(), KnownMatchResourceValues())
		remote      = Facts{Recipient: RecipientRemote}
	)
	const example16 = `<message from='northumberland@shakespeare.lit' id='richard2-4.1.247' to='kingrichard@royalty.england.lit'>
  <body>My lord, dispatch; read o'er these articles.</body>
  <amp xmlns='http://jabber.org/protocol/amp'>
    <rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/>
  </amp>
</message>`
	tests := [...]struct {
		in         string // the request; "example-NN" reads that example
		facts      Facts
		available  []Resource
		authorised bool
		features   Features
		reply      string // "" for none
	}{
		// Example 14 → Example 15: alert, the recipient being offline.
		0: {in: "example-14", facts: localStore, authorised: true, reply: `
<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2'>
  <amp xmlns='http://jabber.org/protocol/amp' status='alert' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'>
    <rule action='alert' condition='deliver' value='stored'/>
  </amp>
</message>`},
		// Example 10 → Example 11 with type='error' and status='error' (§3.4.3): only a
		// desktop is online, not the pda, so match-resource=other is met.
		1: {in: "example-10", facts: localStore, available: []Resource{{"desktop", 0}}, authorised: true, reply: `
<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='ibb1' type='error'>
  <amp xmlns='http://jabber.org/protocol/amp' status='error' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit/pda'>
    <rule action='error' condition='match-resource' value='other'/>
  </amp>
  <error type='modify' code='500'>
    <undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
    <failed-rules xmlns='http://jabber.org/protocol/amp#errors'>
      <rule action='error' condition='match-resource' value='other'/>
    </failed-rules>
  </error>
</message>`},
		// Example 9 with from and to the right way round (§4.1): notify.
		2: {in: `<message to='francisco@hamlet.lit' from='bernardo@hamlet.lit/elsinore' type='chat' id='chatty2'><body>Who's there?</body>
<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>`,
			facts: localStore, authorised: true, reply: `
<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2'>
  <amp xmlns='http://jabber.org/protocol/amp' status='notify' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'>
    <rule action='notify' condition='deliver' value='stored'/>
  </amp>
</message>`},
		// Example 16 → Example 17: drop is not enabled.
		3: {in: example16, facts: remote, features: noDrop, reply: `
<message xmlns='jabber:client' from='shakespeare.lit' to='northumberland@shakespeare.lit' id='richard2-4.1.247' type='error'>
  <amp xmlns='http://jabber.org/protocol/amp'>
    <rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/>
  </amp>
  <error type='modify' code='400'>
    <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
    <unsupported-actions xmlns='http://jabber.org/protocol/amp'>
      <rule condition='expire-at' action='drop' value='2004-01-01T00:00:00Z'/>
    </unsupported-actions>
  </error>
</message>`},
		// Example 16's payload → Example 19: expire-at is not enabled.
		4: {in: example16, facts: remote, features: noExpiry, reply: `
<message xmlns='jabber:client' from='shakespeare.lit' to='northumberland@shakespeare.lit' id='richard2-4.1.247' type='error'>
  <amp xmlns='http://jabber.org/protocol/amp'>
    <rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/>
  </amp>
  <error type='modify' code='400'>
    <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
    <unsupported-conditions xmlns='http://jabber.org/protocol/amp'>
      <rule action='drop' condition='expire-at' value='2004-01-01T00:00:00Z'/>
    </unsupported-conditions>
  </error>
</message>`},
		// Example 21's shape with code 406 (D3): a stranger's alert rule, refused by §9.
		5: {in: "example-14", facts: localStore, reply: `
<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2' type='error'>
  <amp xmlns='http://jabber.org/protocol/amp'>
    <rule action='alert' condition='deliver' value='stored'/>
  </amp>
  <error type='modify' code='406'>
    <not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
    <invalid-rules xmlns='http://jabber.org/protocol/amp'>
      <rule action='alert' condition='deliver' value='stored'/>
    </invalid-rules>
  </error>
</message>`},
		// Example 13: drop never replies.
		6: {in: "example-13", facts: localStore},
		// Example 13 with the recipient online: no rule met, no reply.
		7: {in: "example-13", facts: localStore, available: []Resource{{"a", 0}}},
		// No id (D1).
		8: {in: `<message to='francisco@hamlet.lit' from='bernardo@hamlet.lit/elsinore'><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='stored'/></amp></message>`,
			facts: localStore, reply: `
<message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' type='error'>
  <amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='stored'/></amp>
  <error type='modify' code='400'>
    <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
    <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>an AMP message requires an id</text>
  </error>
</message>`},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			raw := []byte(tc.in)
			if n, ok := strings.CutPrefix(tc.in, "example-"); ok {
				num, _ := strconv.Atoi(n)
				raw = readExample(t, num)
			}
			m := parseExample(t, raw)
			features := tc.features
			if features == (Features{}) {
				features = DefaultFeatures()
			}
			in := Input{
				Message: m, From: jid.MustParse(m.From.Value), To: jid.MustParse(m.To.Value),
				Facts: tc.facts, Available: tc.available, PresenceAuthorised: tc.authorised, Now: before2004,
			}
			replyFrom := in.From.Domain().String()
			got := Reply(in, Decide(in, features), replyFrom)
			if tc.reply == "" {
				if got != nil {
					t.Fatalf("reply %s, want none", got)
				}
				return
			}
			if g, w := canonical(t, got), canonical(t, []byte(tc.reply)); g != w {
				t.Errorf("reply\n%s\nwant\n%s\n(raw: %s)", g, w, got)
			}
		})
	}
}
