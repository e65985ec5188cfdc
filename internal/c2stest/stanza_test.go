package c2stest

import (
	"reflect"
	"testing"
)

func TestNewStanza(t *testing.T) {
	tests := []struct {
		raw  string
		want Stanza
	}{
		0: {
			raw:  `<message from='a@x/r' to='b@x' id='1' type='chat'><body>hi</body></message>`,
			want: Stanza{Name: "message", NS: NSClient, From: "a@x/r", To: "b@x", ID: "1", Type: "chat"},
		},
		// Escaped attribute values are unescaped.
		1: {
			raw:  `<iq xmlns='jabber:client' id='a&amp;b' type="result"/>`,
			want: Stanza{Name: "iq", NS: NSClient, ID: "a&b", Type: "result"},
		},
		// The stream prefix resolves through the stream's declaration.
		2: {
			raw:  `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
			want: Stanza{Name: "features", NS: NSStream},
		},
		3: {
			raw:  `<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`,
			want: Stanza{Name: "error", NS: NSStream},
		},
		// A stanza in another default namespace keeps it.
		4: {
			raw:  `<handshake xmlns='jabber:component:accept'/>`,
			want: Stanza{Name: "handshake", NS: "jabber:component:accept"},
		},
		// What xmlscan refuses keeps only its name.
		5: {
			raw:  `<message id='1' id='2'/>`,
			want: Stanza{Name: "message"},
		},
	}
	for i, tc := range tests {
		got := newStanza([]byte(tc.raw))
		if string(got.Raw) != tc.raw {
			t.Errorf("%d: Raw = %s, want the bytes unchanged", i, got.Raw)
		}
		got.Raw, got.doc = nil, nil
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: got %+v, want %+v", i, got, tc.want)
		}
	}
}

func TestStanzaHelpers(t *testing.T) {
	s := newStanza([]byte(`<message xml:lang='fr' to='b@x'><body>caf&#xE9; &amp;</body>` +
		`<x xmlns='urn:ext'><amp xmlns='http://jabber.org/protocol/amp'/></x>` +
		`<amp xmlns='http://jabber.org/protocol/amp' status='notify'/></message>`))
	const amp = "http://jabber.org/protocol/amp"
	if got := s.Attr("xml:lang"); got != "fr" {
		t.Errorf("Attr(xml:lang) = %q", got)
	}
	if got := s.Attr("from"); got != "" {
		t.Errorf("Attr(from) = %q, want empty", got)
	}
	if got := s.ChildText(NSClient, "body"); got != "café &" {
		t.Errorf("ChildText(body) = %q", got)
	}
	if !s.Has("urn:ext", "x") || s.Has("urn:ext", "body") || s.Has(NSClient, "x") {
		t.Error("Has does not match by namespace and local name")
	}
	if got := string(s.Child(amp, "amp")); got != `<amp xmlns='http://jabber.org/protocol/amp' status='notify'/>` {
		t.Errorf("Child(amp) = %s, want the direct child", got)
	}
	if got := string(s.Find(amp, "amp")); got != `<amp xmlns='http://jabber.org/protocol/amp'/>` {
		t.Errorf("Find(amp) = %s, want the first in document order", got)
	}
	if s.Child(amp, "rule") != nil || s.Find(amp, "rule") != nil {
		t.Error("absent element found")
	}
}

func TestInContext(t *testing.T) {
	tests := []struct{ in, want string }{
		0: {
			in:   `<message to='b@x'/>`,
			want: `<message xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='b@x'/>`,
		},
		1: {
			in:   `<x:message xmlns='urn:a' xmlns:x='jabber:client'/>`,
			want: `<x:message xmlns:stream='http://etherx.jabber.org/streams' xmlns='urn:a' xmlns:x='jabber:client'/>`,
		},
		2: {
			in:   `<a xmlns='urn:a' xmlns:stream='urn:s'>text</a>`,
			want: `<a xmlns='urn:a' xmlns:stream='urn:s'>text</a>`,
		},
		// Not one element: unchanged.
		3: {in: `<a>`, want: `<a>`},
	}
	for i, tc := range tests {
		if got := string(InContext([]byte(tc.in))); got != tc.want {
			t.Errorf("%d: got %s, want %s", i, got, tc.want)
		}
	}
}

func TestWithID(t *testing.T) {
	c := &Client{}
	tests := []struct {
		in, want, id string
	}{
		0: {in: `<iq type='get'/>`, want: `<iq id='c2stest-1' type='get'/>`, id: "c2stest-1"},
		1: {in: `<iq id='a&amp;b' type='get'/>`, want: `<iq id='a&amp;b' type='get'/>`, id: "a&b"},
		2: {in: `<iq/>`, want: `<iq id='c2stest-2'/>`, id: "c2stest-2"},
	}
	for i, tc := range tests {
		got, id, err := c.withID(tc.in)
		if err != nil || got != tc.want || id != tc.id {
			t.Errorf("%d: got %s, %q, %v; want %s, %q", i, got, id, err, tc.want, tc.id)
		}
	}
	for _, bad := range []string{`<message/>`, `<iq>`, `<iq id='&bad;'/>`} {
		if _, _, err := c.withID(bad); err == nil {
			t.Errorf("withID(%s) accepted", bad)
		}
	}
}

func TestMatchers(t *testing.T) {
	s := newStanza([]byte(`<message from='a@x/r' id='1' type='chat'><x xmlns='urn:x'/></message>`))
	tests := []struct {
		match func(Stanza) bool
		want  bool
	}{
		0:  {Named("message"), true},
		1:  {Named("iq"), false},
		2:  {WithID("1"), true},
		3:  {WithID("2"), false},
		4:  {WithType("chat"), true},
		5:  {WithType(""), false},
		6:  {From("a@x/r"), true},
		7:  {From("a@x"), false},
		8:  {FromBare("a@x"), true},
		9:  {WithChild("urn:x", "x"), true},
		10: {WithChild("urn:y", "x"), false},
		11: {All(Named("message"), WithID("1")), true},
		12: {All(Named("message"), WithID("2")), false},
		13: {All(), true},
		14: {Any, true},
	}
	for i, tc := range tests {
		if got := tc.match(s); got != tc.want {
			t.Errorf("%d: got %v, want %v", i, got, tc.want)
		}
	}
}

func FuzzNewStanza(f *testing.F) {
	for _, s := range []string{
		`<message from='a@x/r' to='b@x' id='1' type='chat'><body>hi</body></message>`,
		`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
		`<iq xmlns='jabber:client' id='a&amp;b'/>`,
		`<p:x xmlns:p='urn:p'><p:y/></p:x>`,
		`<message id='1' id='2'/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s := newStanza(raw)
		if string(s.Raw) != string(raw) {
			t.Fatal("Raw changed")
		}
		// The helpers must not panic on anything the server could send.
		_ = s.Attr("xml:lang")
		_ = s.Child(NSClient, "body")
		_ = s.Find(NSClient, "body")
		_ = s.ChildText(NSClient, "body")
		// InContext only ever adds declarations.
		if doc := s.InContext(); len(doc) < len(raw) {
			t.Fatalf("InContext lost bytes: %q", doc)
		}
	})
}
