package route

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The divert as both modules write it: the outer id is the route id.
const divertBig = `<message from='localhost' to='amp.localhost' id='abc-1'>` +
	`<forwarded xmlns='urn:xmpp:forward:0'>` +
	`<message xmlns='jabber:client' from='alice@localhost/ph&apos;one' to='bob@localhost' id='m&amp;1' type='chat'><body>` +
	`it&apos;s long</body><amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>` +
	`</forwarded><route xmlns='urn:x-ampd:route:0' id='abc-1' origin='c2s' recipient='local' offline='store'/></message>`

func TestParseTruncated(t *testing.T) {
	innerStart := strings.Index(divertBig, "<body>")
	tests := []struct {
		in      string
		want    Truncated
		wantErr error
	}{
		0: {in: divertBig[:innerStart+10], want: Truncated{Host: "localhost", ID: "abc-1", From: "alice@localhost/ph'one", MessageID: "m&1"}},
		1: {in: divertBig[:innerStart], want: Truncated{Host: "localhost", ID: "abc-1", From: "alice@localhost/ph'one", MessageID: "m&1"}},
		2: {in: divertBig[:innerStart-20], want: Truncated{Host: "localhost", ID: "abc-1"}}, // inner start tag cut
		3: {in: divertBig[:40], wantErr: ErrNoRouteID},                                      // outer start tag cut
		4: {in: `<iq from='localhost' id='x'><query/>`, wantErr: ErrNoRouteID},
		5: {in: `<message id='x'><forwarded xmlns='urn:xmpp:forward:0'>`, wantErr: ErrNoRouteID},
		6: {in: `<message from='localhost'><body>`, wantErr: ErrNoRouteID},
		7: { // the inner message inheriting the forwarded namespace, double quotes
			in:   `<message from="h" id="r"><forwarded xmlns="urn:xmpp:forward:0"><message from="a@h/r" id="1"><body>xx`,
			want: Truncated{Host: "h", ID: "r", From: "a@h/r", MessageID: "1"},
		},
		8: { // a message that is not the forwarded one is not read as the sender's, nor a divert
			in:      `<message from='h' id='r'><x><message from='evil@h' id='2'>`,
			wantErr: ErrNoRouteID,
		},
		10: {in: `<message from='h' id='r'><body>` + strings.Repeat("x", 50), wantErr: ErrNoRouteID},
		9:  {in: divertBig, want: Truncated{Host: "localhost", ID: "abc-1", From: "alice@localhost/ph'one", MessageID: "m&1"}},
	}
	for i, tc := range tests {
		got, err := ParseTruncated([]byte(tc.in))
		if err != tc.wantErr || got != tc.want {
			t.Errorf("%d: got %+v, %v; want %+v, %v", i, got, err, tc.want, tc.wantErr)
		}
	}
}

// Cut anywhere after the inner message's start tag, a divert's first bytes tell the same
// host, route id, sender and id as the whole divert.
func TestParseTruncatedAgreesWithParseDivert(t *testing.T) {
	whole, err := ParseDivert([]byte(divertBig))
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		cut := rapid.IntRange(strings.Index(divertBig, "<body>"), len(divertBig)).Draw(t, "cut")
		got, err := ParseTruncated([]byte(divertBig[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		if got.Host != whole.Host || got.ID != whole.ID || got.From != "alice@localhost/ph'one" || got.MessageID != "m&1" {
			t.Fatalf("cut at %d: %+v", cut, got)
		}
	})
}

// FuzzParseTruncated: any prefix is read without panic, and what it reports is there to read.
func FuzzParseTruncated(f *testing.F) {
	f.Add([]byte(divertBig), 100)
	f.Add([]byte(divertAlice), 300)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		if cut >= 0 && cut < len(in) {
			in = in[:cut]
		}
		got, err := ParseTruncated(in)
		if err != nil {
			if got != (Truncated{}) {
				t.Fatalf("error %v with a result %+v", err, got)
			}
			return
		}
		if got.Host == "" || got.ID == "" {
			t.Fatalf("no error but no host or id: %+v", got)
		}
	})
}
