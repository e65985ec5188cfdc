package route

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/xmlscan"
)

const divertAlice = `<message from='localhost' to='amp.localhost' id='r1'>` +
	`<forwarded xmlns='urn:xmpp:forward:0'>` +
	`<message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost' id='m1' type='chat'><body>hi &amp; bye</body><amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>` +
	`</forwarded><route xmlns='urn:x-ampd:route:0' id='abc-1' origin='c2s' recipient='local' offline='store'/></message>`

const slimInner = `<message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost' id='m2' type='chat'><amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>`

const divertSlim = `<message from='localhost' to='amp.localhost' id='abc-2'>` +
	`<forwarded xmlns='urn:xmpp:forward:0'>` + slimInner +
	`</forwarded><route xmlns='urn:x-ampd:route:0' id='abc-2' origin='c2s' recipient='local' offline='store' message='slim'/></message>`

func TestParseDivert(t *testing.T) {
	inner := `<message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost' id='m1' type='chat'><body>hi &amp; bye</body><amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>`
	tests := []struct {
		in      string
		want    Divert
		wantErr string
	}{
		0: {in: divertAlice, want: Divert{Host: "localhost", ID: "abc-1", Origin: OriginC2S, Recipient: "local", Offline: "store", Message: []byte(inner)}},
		1: { // inner message inheriting the forwarded namespace, s2s, double quotes
			in:   `<message from="localhost" to="amp.localhost"><route xmlns="urn:x-ampd:route:0" id="x&amp;y" origin="s2s" recipient="unknown" offline="none"/><forwarded xmlns="urn:xmpp:forward:0"><message to="a@b"/></forwarded></message>`,
			want: Divert{Host: "localhost", ID: "x&y", Origin: OriginS2S, Recipient: "unknown", Offline: "none", Message: []byte(`<message to="a@b"/>`)},
		},
		2:  {in: `<message from='localhost'><body/></message>`, wantErr: ErrNotDivert.Error()},
		3:  {in: `<message from='localhost'><route xmlns='urn:x-ampd:route:0' origin='c2s' recipient='local' offline='store'/></message>`, wantErr: "route: divert without route id"},
		4:  {in: `<message from='localhost'><route xmlns='urn:x-ampd:route:0' id='1' origin='pigeon' recipient='local' offline='store'/></message>`, wantErr: `route: divert "1" has unknown origin "pigeon"`},
		5:  {in: `<message from='localhost'><route xmlns='urn:x-ampd:route:0' id='1' origin='c2s' recipient='mars' offline='store'/></message>`, wantErr: `route: divert "1" has unknown recipient kind "mars"`},
		6:  {in: `<message from='localhost'><route xmlns='urn:x-ampd:route:0' id='1' origin='c2s' recipient='local' offline='maybe'/></message>`, wantErr: `route: divert "1" has unknown offline value "maybe"`},
		7:  {in: `<message from='localhost'><route xmlns='urn:x-ampd:route:0' id='1' origin='c2s' recipient='local' offline='none'/></message>`, wantErr: `route: divert "1" has no <forwarded/>`},
		8:  {in: `<message from='localhost'><route xmlns='urn:x-ampd:route:0' id='1' origin='c2s' recipient='local' offline='none'/><forwarded xmlns='urn:xmpp:forward:0'><iq/></forwarded></message>`, wantErr: `route: divert "1" has no forwarded <message/>`},
		9:  {in: `<message from='localhost'><route`, wantErr: "route: divert is not well-formed"},
		10: {in: `<message><route xmlns='urn:x-ampd:route:0' id='1' origin='c2s' recipient='local' offline='none'/></message>`, wantErr: "route: divert without from (the server host)"},
		11: { // a route element in another namespace is not ours
			in: `<message from='localhost'><route xmlns='urn:x-other' id='1' origin='c2s' recipient='local' offline='none'/></message>`, wantErr: ErrNotDivert.Error(),
		},
		12: { // the slim divert: the request's start tag and its <amp/> only
			in:   divertSlim,
			want: Divert{Host: "localhost", ID: "abc-2", Origin: OriginC2S, Recipient: "local", Offline: "store", Slim: true, Message: []byte(slimInner)},
		},
		13: { // message='full' says what no attribute says
			in:   strings.Replace(divertAlice, "offline='store'", "offline='store' message='full'", 1),
			want: Divert{Host: "localhost", ID: "abc-1", Origin: OriginC2S, Recipient: "local", Offline: "store", Message: []byte(inner)},
		},
		14: {in: strings.Replace(divertAlice, "offline='store'", "offline='store' message='thin'", 1), wantErr: `route: divert "abc-1" has unknown message form "thin"`},
		15: {in: strings.Replace(divertAlice, "offline='store'", "offline='store' message=''", 1), wantErr: `route: divert "abc-1" has unknown message form ""`},
	}
	for i, tc := range tests {
		got, err := ParseDivert([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(tc.wantErr)) {
				t.Errorf("%d: error = %v, want prefix %q", i, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: unexpected error %v", i, err)
			continue
		}
		if got.Host != tc.want.Host || got.ID != tc.want.ID || got.Origin != tc.want.Origin ||
			got.Recipient != tc.want.Recipient || got.Offline != tc.want.Offline || got.Slim != tc.want.Slim ||
			!bytes.Equal(got.Message, tc.want.Message) {
			t.Errorf("%d: got %+v (message %s)\nwant %+v (message %s)", i, got, got.Message, tc.want, tc.want.Message)
		}
	}
	if _, err := ParseDivert([]byte(`<message from='h'/>`)); !errors.Is(err, ErrNotDivert) {
		t.Errorf("ErrNotDivert not matched with errors.Is: %v", err)
	}
}

// A divert whose inner message is malformed inside: ParseDivert only skips over the inner
// message, so it returns the divert (the module gets a verdict) and amp.ParseMessage, which
// the daemon runs on every Message, refuses it. Faults that hide the inner message's end
// are still ParseDivert's errors.
func TestParseDivertMalformedInner(t *testing.T) {
	wrap := func(inner string) string {
		return `<message from='localhost' to='amp.localhost'><forwarded xmlns='urn:xmpp:forward:0'>` + inner +
			`</forwarded><route xmlns='urn:x-ampd:route:0' id='r1' origin='c2s' recipient='local' offline='store'/></message>`
	}
	tests := []struct {
		inner      string
		divertErr  string // "": ParseDivert succeeds and amp.ParseMessage must fail
		messageErr string
	}{
		0: {inner: `<message from='a@b' to='c@d'><body>1 &bogus; 2</body></message>`, messageErr: "invalid entity"},
		1: {inner: `<message from='a@b' to='c@d'><body><i></b></body></message>`, messageErr: "does not match"},
		2: {inner: `<message from='a@b' from='c@d'/>`, divertErr: "route: divert is not well-formed"}, // its start tag is read in full
		3: {inner: `<message from='a@b'><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' action='alert'/></amp></message>`, messageErr: "written twice"},
		4: {inner: `<message from='a@b'><x y=z/></message>`, messageErr: "quoted attribute value"},
		5: {inner: `<message from='a@b'><!-- a -- b --></message>`, messageErr: "'--' inside a comment"},
		6: {inner: `<message from='a@b'><x y='<'/></message>`, messageErr: "'<' in an attribute value"},
		7: {inner: `<message from='a@b'><body>1 < 2</body></message>`, divertErr: "route: divert is not well-formed"},
		8: {inner: `<message from='a@b'><body></message>`, divertErr: "route: divert is not well-formed"},
		9: {inner: `<message from='a@b'><![CDATA[</message>`, divertErr: "route: divert is not well-formed"},
	}
	for i, tc := range tests {
		raw := []byte(wrap(tc.inner))
		if _, err := xmlscan.Parse(raw); err == nil {
			t.Fatalf("%d: the divert is well-formed: the test shows nothing", i)
		}
		d, err := ParseDivert(raw)
		if tc.divertErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.divertErr) {
				t.Errorf("%d: ParseDivert error = %v, want prefix %q", i, err, tc.divertErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: ParseDivert: %v", i, err)
			continue
		}
		if string(d.Message) != tc.inner || d.ID != "r1" {
			t.Errorf("%d: got route %q, message %s; want r1, %s", i, d.ID, d.Message, tc.inner)
		}
		var m amp.Message
		err = amp.ParseMessage(d.Message, &m)
		var ae *amp.Error
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.messageErr) {
			t.Errorf("%d: amp.ParseMessage error = %v, want an *amp.Error containing %q", i, err, tc.messageErr)
		}
	}
}

func TestWriters(t *testing.T) {
	reply := []byte(`<message xmlns='jabber:client' from='localhost' to='alice@localhost/phone' id='m1'><amp xmlns='http://jabber.org/protocol/amp' status='notify'/></message>`)
	tests := []struct {
		got  []byte
		want string
	}{
		0: {AppendVerdict(nil, "amp.localhost", "localhost", "r'1", Deliver, nil),
			`<message from='amp.localhost' to='localhost'><verdict xmlns='urn:x-ampd:route:0' route='r&apos;1' action='deliver'/></message>`},
		1: {AppendVerdict(nil, "amp.localhost", "localhost", "r2", Discard, reply),
			`<message from='amp.localhost' to='localhost'><verdict xmlns='urn:x-ampd:route:0' route='r2' action='discard'>` + string(reply) + `</verdict></message>`},
		2: {AppendReinject(nil, "amp.localhost", "localhost", "held-1-release", reply),
			`<message from='amp.localhost' to='localhost'><reinject xmlns='urn:x-ampd:route:0' id='held-1-release'><forwarded xmlns='urn:xmpp:forward:0'>` + string(reply) + `</forwarded></reinject></message>`},
		3: {AppendAnnounce(nil, "amp.localhost", "localhost", []string{"http://jabber.org/protocol/amp", "http://jabber.org/protocol/amp?action=drop"}),
			`<message from='amp.localhost' to='localhost'><announce xmlns='urn:x-ampd:route:0'><feature var='http://jabber.org/protocol/amp'/><feature var='http://jabber.org/protocol/amp?action=drop'/></announce></message>`},
		4: {AppendDeliverStripped(nil, "amp.localhost", "localhost", "r3", nil),
			`<message from='amp.localhost' to='localhost'><verdict xmlns='urn:x-ampd:route:0' route='r3' action='deliver' strip='amp'/></message>`},
		5: {AppendDeliverStripped(nil, "amp.localhost", "localhost", "r4", reply),
			`<message from='amp.localhost' to='localhost'><verdict xmlns='urn:x-ampd:route:0' route='r4' action='deliver' strip='amp'>` + string(reply) + `</verdict></message>`},
		6: {AppendRouteReinject(nil, "amp.localhost", "localhost", "held-2-release", "a'b-7", reply),
			`<message from='amp.localhost' to='localhost'><reinject xmlns='urn:x-ampd:route:0' id='held-2-release' route='a&apos;b-7'><forwarded xmlns='urn:xmpp:forward:0'>` + string(reply) + `</forwarded></reinject></message>`},
	}
	for i, tc := range tests {
		if string(tc.got) != tc.want {
			t.Errorf("%d:\n got %s\nwant %s", i, tc.got, tc.want)
		}
		if err := wellFormed(tc.got); err != nil {
			t.Errorf("%d: not well-formed: %v", i, err)
		}
	}
}

func TestParsePrivilege(t *testing.T) {
	tests := []struct {
		in   string
		want Privilege
		ok   bool
	}{
		0: {`<message from='localhost' to='amp.localhost'><privilege xmlns='urn:xmpp:privilege:2'><perm access='roster' type='get'/><perm access='presence' type='managed_entity'/></privilege></message>`,
			Privilege{Host: "localhost", Namespace: NSPrivilege2, Presence: "managed_entity", Roster: "get"}, true},
		1: {`<message from='ejabberd.test' to='amp.test'><privilege xmlns='urn:xmpp:privilege:1'><perm access='presence' type='roster'/></privilege></message>`,
			Privilege{Host: "ejabberd.test", Namespace: NSPrivilege1, Presence: "roster"}, true},
		2: {`<message from='localhost'><body>privilege</body></message>`, Privilege{}, false},
		3: {`<presence from='localhost'><privilege xmlns='urn:xmpp:privilege:2'/></presence>`, Privilege{}, false},
		4: {`<message`, Privilege{}, false},
	}
	for i, tc := range tests {
		got, ok := ParsePrivilege([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("%d: got %+v, %v; want %+v, %v", i, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseDivert(f *testing.F) {
	f.Add([]byte(divertAlice))
	f.Add([]byte(divertSlim))
	f.Add([]byte(`<message from="h"><route xmlns="urn:x-ampd:route:0" id="1" origin="s2s" recipient="remote" offline="none"/><forwarded xmlns="urn:xmpp:forward:0"><message/></forwarded></message>`))
	f.Add([]byte(`<message from='localhost'><privilege xmlns='urn:xmpp:privilege:2'><perm access='presence' type='managed_entity'/></privilege></message>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := ParseDivert(raw)
		ParsePrivilege(raw)
		if err != nil {
			return
		}
		if !bytes.Contains(raw, d.Message) {
			t.Fatalf("inner message is not a sub-slice of the input")
		}
		// The divert is checked in full on one of the two paths: ParseDivert and the full
		// parse of the inner message it only skipped over.
		if _, err := xmlscan.Parse(d.Message); err == nil {
			if _, err := xmlscan.Parse(raw); err != nil {
				t.Fatalf("ParseDivert and Parse(Message) accept %q, which is not well-formed: %v", raw, err)
			}
		}
		v := AppendVerdict(nil, "c", d.Host, d.ID, Deliver, nil)
		if err := wellFormed(v); err != nil {
			t.Fatalf("verdict for %q not well-formed: %v", d.ID, err)
		}
	})
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return err
		}
	}
}

func TestParseReinjected(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		0: {`<message from='localhost' to='amp.localhost'><reinjected xmlns='urn:x-ampd:route:0' id='held-1-release'/></message>`, []string{"held-1-release"}},
		1: {`<message from='localhost'><reinjected xmlns='urn:x-ampd:route:0' id='a'/><reinjected xmlns='urn:x-ampd:route:0' id='b&amp;c'/></message>`, []string{"a", "b&c"}},
		2: {`<message from='localhost'><reinjected id='a'/></message>`, nil},
		3: {`<message from='localhost'><reinjected xmlns='urn:x-ampd:route:0'/></message>`, nil},
		4: {`<iq/>`, nil},
	}
	for i, tc := range tests {
		got, ok := ParseReinjected([]byte(tc.in))
		if ok != (tc.want != nil) || len(got) != len(tc.want) {
			t.Errorf("%d: got %q, %v; want %q", i, got, ok, tc.want)
			continue
		}
		for j := range got {
			if got[j] != tc.want[j] {
				t.Errorf("%d: got %q, want %q", i, got, tc.want)
			}
		}
	}
}

// BenchmarkParseDivert measures reading a typical divert: the route facts, and the extent of
// the inner message (which amp.ParseMessage checks in full afterwards).
func BenchmarkParseDivert(b *testing.B) {
	raw := []byte(`<message from='localhost' to='amp.localhost'><forwarded xmlns='urn:xmpp:forward:0'>` +
		`<message xmlns='jabber:client' from='alice1@localhost/phone' to='bob1@localhost' id='m1' type='chat' xml:lang='en'>` +
		`<body>Hello, this is a realistic chat message body of a typical length for a quick test.</body>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='a1b2c3d4-e5f6'/>` +
		`<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/>` +
		`<rule action='drop' condition='expire-at' value='2999-01-01T00:00:00Z'/></amp></message></forwarded>` +
		`<route xmlns='urn:x-ampd:route:0' id='r1' origin='c2s' recipient='local' offline='store'/></message>`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDivert(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseDivertAndMessage is ampd's parsing of one divert, the divert and then its
// inner message in full, for the whole message and for its slim form (PROTOCOL.md §1): the
// same request of ≈ 500 bytes, a chat body and two payload elements.
func BenchmarkParseDivertAndMessage(b *testing.B) {
	const amp0 = `<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp>`
	start := `<message xmlns='jabber:client' from='alice1@localhost/phone' to='bob1@localhost' id='m1' type='chat' xml:lang='en'>`
	payload := `<body>Are we still on for the review tomorrow at ten? I moved the slides to the shared folder; ` +
		`the numbers on page four are still the old ones, I will fix them tonight.</body>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='a1b2c3d4-e5f6'/>`
	wrap := func(inner, form string) []byte {
		return []byte(`<message from='localhost' to='amp.localhost' id='r1'><forwarded xmlns='urn:xmpp:forward:0'>` + inner +
			`</forwarded><route xmlns='urn:x-ampd:route:0' id='r1' origin='c2s' recipient='local' offline='store' message='` + form + `'/></message>`)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"full", wrap(start+payload+amp0+`</message>`, "full")},
		{"slim", wrap(start+amp0+`</message>`, "slim")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var m amp.Message
			b.SetBytes(int64(len(tc.raw)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := ParseDivert(tc.raw)
				if err != nil {
					b.Fatal(err)
				}
				if err := amp.ParseMessage(d.Message, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
