package xmlstream

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const testHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' from='amp.localhost' id='abc&amp;1'>`

// splitAll runs a Splitter to its end and returns the header, every element
// (a skipped element appears as "TOO LARGE name") and the final error.
func splitAll(r io.Reader, maxStanza int) (Header, []string, error) {
	s := NewSplitter(r, maxStanza)
	h, err := s.Header()
	if err != nil {
		return h, nil, err
	}
	var out []string
	for range 10000 {
		el, err := s.Next()
		var tl *TooLargeError
		switch {
		case errors.As(err, &tl):
			out = append(out, "TOO LARGE "+tl.Name)
		case err != nil:
			return h, out, err
		default:
			out = append(out, string(el))
		}
	}
	panic("splitAll: no end")
}

var splitTests = [...]struct {
	in      string // stream after testHeader
	max     int
	want    []string
	wantErr error
}{
	0: {in: `</stream:stream>`, wantErr: io.EOF},
	1: {in: `<message/></stream:stream>`, want: []string{`<message/>`}, wantErr: io.EOF},
	2: {
		in:      " \n<message to='a@b' from=\"c/d\"><body>hi &amp; bye</body></message>\t <iq id='1' type='get'><query xmlns='x'/></iq> </stream:stream>",
		want:    []string{`<message to='a@b' from="c/d"><body>hi &amp; bye</body></message>`, `<iq id='1' type='get'><query xmlns='x'/></iq>`},
		wantErr: io.EOF,
	},
	3: {
		in:      `<message a='x>y/z' b="'/>" c = 'q"'><body>1 &lt; 2 &#x3e;</body></message></stream:stream>`,
		want:    []string{`<message a='x>y/z' b="'/>" c = 'q"'><body>1 &lt; 2 &#x3e;</body></message>`},
		wantErr: io.EOF,
	},
	4: {
		in:      `<message><body><![CDATA[<not a tag> ]] ]]]></body></message></stream:stream>`,
		want:    []string{`<message><body><![CDATA[<not a tag> ]] ]]]></body></message>`},
		wantErr: io.EOF,
	},
	5: {
		in:      `<a><a><b><a/></b ></a></a><stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`,
		want:    []string{`<a><a><b><a/></b ></a></a>`, `<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`},
		wantErr: io.EOF,
	},
	6: {
		in:      `<handshake/><message><body>` + strings.Repeat("x", 100) + `</body></message><iq/></stream:stream>`,
		max:     50,
		want:    []string{`<handshake/>`, `TOO LARGE message`, `<iq/>`},
		wantErr: io.EOF,
	},
	7: {
		in:      `<big a='` + strings.Repeat("<", 0) + strings.Repeat("v", 3000) + `'><x><![CDATA[` + strings.Repeat("]", 5000) + `]]></x></big><iq/></stream:stream>`,
		max:     100,
		want:    []string{`TOO LARGE big`, `<iq/>`},
		wantErr: io.EOF,
	},
	8:  {in: `<message><!-- hi --></message>`, wantErr: ErrRestrictedXML},
	9:  {in: `<!-- hi -->`, wantErr: ErrRestrictedXML},
	10: {in: `<?pi x?>`, wantErr: ErrRestrictedXML},
	11: {in: `<message><?pi x?></message>`, wantErr: ErrRestrictedXML},
	12: {in: `<!DOCTYPE x>`, wantErr: ErrRestrictedXML},
	13: {in: `<message></iq>`, wantErr: ErrNotWellFormed},
	14: {in: `hello`, wantErr: ErrNotWellFormed},
	15: {in: `<message a=b/>`, wantErr: ErrNotWellFormed},
	16: {in: `<message a='1'b='2'/>`, wantErr: ErrNotWellFormed},
	17: {in: `<message a='<'/>`, wantErr: ErrNotWellFormed},
	18: {in: `<message>`, want: nil, wantErr: io.ErrUnexpectedEOF},
	19: {in: `<message/>`, want: []string{`<message/>`}, wantErr: io.ErrUnexpectedEOF},
	20: {in: `</stream:foo>`, wantErr: ErrNotWellFormed},
	21: {in: `<![CDATA[x]]>`, wantErr: ErrNotWellFormed},
	22: {in: `<1a/>`, wantErr: ErrNotWellFormed},
	23: {in: `<a></a ></stream:stream >`, want: []string{`<a></a >`}, wantErr: io.EOF},
	24: {in: `<a></ab>`, wantErr: ErrNotWellFormed},
	25: {in: `<ab></a>`, wantErr: ErrNotWellFormed},
	26: {in: `<a/ >`, wantErr: ErrNotWellFormed},
	27: {in: `<a b></a>`, wantErr: ErrNotWellFormed},
	28: {in: `<message>` + strings.Repeat("<a>", 50) + strings.Repeat("</a>", 50) + `</message></stream:stream>`, max: 100, want: []string{`TOO LARGE message`}, wantErr: io.EOF},
	29: {in: `<message>` + strings.Repeat("<a>", 50) + `</b>`, max: 100, wantErr: nil /* mismatch is not seen while skipping */},
	30: {in: `<message>` + strings.Repeat("<a>", 50) + strings.Repeat("</a>", 50) + `</iq>`, max: 100, wantErr: ErrNotWellFormed},
}

func TestSplit(t *testing.T) {
	for i, tc := range splitTests {
		if tc.max == 0 {
			tc.max = 1 << 16
		}
		readers := map[string]func() io.Reader{
			"whole":   func() io.Reader { return strings.NewReader(testHeader + tc.in) },
			"onebyte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(testHeader + tc.in)) },
			"half":    func() io.Reader { return iotest.HalfReader(strings.NewReader(testHeader + tc.in)) },
			"dataerr": func() io.Reader { return iotest.DataErrReader(strings.NewReader(testHeader + tc.in)) },
		}
		for name, r := range readers {
			h, got, err := splitAll(r(), tc.max+len(testHeader))
			if tc.max < len(testHeader) {
				// Small limits apply to stanzas; give the header room.
				h, got, err = splitAllHeaderRoom(r(), tc.max)
			}
			if h.ID() != "abc&1" || h.Name != "stream:stream" || h.From() != "amp.localhost" {
				t.Errorf("%d/%s: header %+v", i, name, h)
			}
			if tc.wantErr == nil {
				if err != io.ErrUnexpectedEOF {
					t.Errorf("%d/%s: err %v, want unexpected EOF", i, name, err)
				}
			} else if !errors.Is(err, tc.wantErr) {
				t.Errorf("%d/%s: err %v, want %v", i, name, err, tc.wantErr)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%d/%s:\n got %q\nwant %q", i, name, got, tc.want)
			}
		}
	}
}

// splitAllHeaderRoom is splitAll for limits smaller than the test header: the
// header is prefixed through a separate reader so only stanzas hit the limit.
func splitAllHeaderRoom(r io.Reader, maxStanza int) (Header, []string, error) {
	hdr := make([]byte, len(testHeader))
	if _, err := io.ReadFull(r, hdr); err != nil {
		return Header{}, nil, err
	}
	return splitAllAfter(hdr, r, maxStanza)
}

func splitAllAfter(hdr []byte, r io.Reader, maxStanza int) (Header, []string, error) {
	s := NewSplitter(io.MultiReader(strings.NewReader(string(hdr)), r), len(hdr))
	h, err := s.Header()
	if err != nil {
		return h, nil, err
	}
	s.max = maxStanza
	out, err := drain(s)
	return h, out, err
}

func TestHeader(t *testing.T) {
	tests := [...]struct {
		in      string
		wantRaw string
		wantErr error
	}{
		0: {in: `<stream:stream xmlns:stream='s' id="1">`, wantRaw: `<stream:stream xmlns:stream='s' id="1">`},
		1: {in: "<?xml version='1.0' encoding='UTF-8'?>\n <stream:stream id='2'>", wantRaw: `<stream:stream id='2'>`},
		2: {in: ` <?xml version='1.0'?><stream:stream>`, wantErr: ErrRestrictedXML},
		3: {in: `<?xml version='1.0'?><?xml version='1.0'?><stream:stream>`, wantErr: ErrRestrictedXML},
		4: {in: `<stream:stream/>`, wantErr: ErrNotWellFormed},
		5: {in: `<stream:stream a='&bogus;'>`, wantErr: ErrNotWellFormed},
		6: {in: `</stream:stream>`, wantErr: ErrNotWellFormed},
		7: {in: `<stream:stream`, wantErr: io.ErrUnexpectedEOF},
		8: {in: ``, wantErr: io.ErrUnexpectedEOF},
		9: {in: `<stream:stream a='` + strings.Repeat("x", 200) + `'>`, wantErr: ErrTooLarge},
	}
	for i, tc := range tests {
		s := NewSplitter(iotest.OneByteReader(strings.NewReader(tc.in)), 100)
		h, err := s.Header()
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%d: err %v, want %v", i, err, tc.wantErr)
		}
		if string(h.Raw) != tc.wantRaw {
			t.Errorf("%d: raw %q, want %q", i, h.Raw, tc.wantRaw)
		}
	}
}

func TestName(t *testing.T) {
	tests := map[string]string{
		`<message to='x'/>`: "message",
		`<stream:error>`:    "stream:error",
		`<iq>`:              "iq",
		`message`:           "",
		`<`:                 "",
		`< a>`:              "",
	}
	for in, want := range tests {
		if got := string(Name([]byte(in))); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCondition(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrRestrictedXML, "restricted-xml"},
		{&SyntaxError{Msg: "x"}, "not-well-formed"},
		{&TooLargeError{Name: "x"}, "policy-violation"},
		{io.EOF, ""},
	}
	for _, tc := range tests {
		if got := Condition(tc.err); got != tc.want {
			t.Errorf("Condition(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
