package xmlcanon

import (
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		0: {
			in: `<message xmlns='jabber:client' to='b@x' xml:lang='en'><body>hi &amp; bye</body></message>`,
			want: `{jabber:client}message
  @to="b@x"
  @{http://www.w3.org/XML/1998/namespace}lang="en"
  {jabber:client}body
    "hi & bye"
`,
		},
		// Attributes sorted; namespace declarations dropped; prefixes resolved.
		1: {
			in: `<s:x xmlns:s='urn:s' b='2' a='1' s:c='3'><y xmlns='urn:y'/></s:x>`,
			want: `{urn:s}x
  @a="1"
  @b="2"
  @{urn:s}c="3"
  {urn:y}y
`,
		},
		// White space between elements dropped, text with content kept whole.
		2: {
			in: "<a>\n  <b> x </b>\n</a>",
			want: `a
  b
    " x "
`,
		},
		// CDATA and character references are text like any other.
		3: {
			in: `<a>&#x263A;<![CDATA[<&>]]>é</a>`,
			want: `a
  "☺<&>é"
`,
		},
	}
	for i, tc := range tests {
		got, err := Canonical([]byte(tc.in))
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%d: got\n%s\nwant\n%s", i, got, tc.want)
		}
	}
}

func TestCanonicalKeepSpace(t *testing.T) {
	got, err := Options{KeepSpace: true}.Canonical([]byte("<a> <b/></a>"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n  \" \"\n  b\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCanonicalErrors(t *testing.T) {
	tests := []struct {
		in, wantErr string
	}{
		0: {in: `<a><b></a>`, wantErr: "xmlcanon:"},
		1: {in: `<p:a/>`, wantErr: `unbound prefix "p"`},
		2: {in: `<a p:x='1'/>`, wantErr: `unbound prefix "p"`},
		3: {in: ``, wantErr: "xmlcanon:"},
		4: {in: `<?xml version='1.0'?><a/>`, wantErr: "xmlcanon:"},
		5: {in: `<a/><b/>`, wantErr: "xmlcanon:"},
	}
	for i, tc := range tests {
		_, err := Canonical([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%d: got error %v, want one containing %q", i, err, tc.wantErr)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b  string
		equal bool
	}{
		// What a server's re-serialisation may change.
		0: {
			a:     `<message xmlns='jabber:client' id='1' type='chat'><body>a&apos;b</body></message>`,
			b:     `<message type="chat" id="1" xmlns="jabber:client"><body>a'b</body></message>`,
			equal: true,
		},
		1: {a: `<x:e xmlns:x='urn:e'/>`, b: `<e xmlns='urn:e'></e>`, equal: true},
		2: {a: `<a><b/>  </a>`, b: `<a><b/></a>`, equal: true},
		3: {a: `<a>&#233;</a>`, b: `<a>é</a>`, equal: true},
		// What it must not change.
		4:  {a: `<a xml:lang='en'/>`, b: `<a/>`},
		5:  {a: `<a x='1'/>`, b: `<a x='2'/>`},
		6:  {a: `<e xmlns='urn:a'/>`, b: `<e xmlns='urn:b'/>`},
		7:  {a: `<a><b/><c/></a>`, b: `<a><c/><b/></a>`},
		8:  {a: `<a>x</a>`, b: `<a> x</a>`},
		9:  {a: `<a p:x='1' xmlns:p='urn:p'/>`, b: `<a x='1'/>`},
		10: {a: `<a/>`, b: `<a`},
	}
	for i, tc := range tests {
		eq, diff := Equal([]byte(tc.a), []byte(tc.b))
		if eq != tc.equal {
			t.Errorf("%d: Equal = %v, want %v; diff:\n%s", i, eq, tc.equal, diff)
		}
		if eq != (diff == "") {
			t.Errorf("%d: Equal = %v with diff %q", i, eq, diff)
		}
	}
}

func TestDiff(t *testing.T) {
	got := Diff("a\n  b\n  c\n", "a\n  c\n  d\n")
	want := "  a\n-   b\n    c\n+   d\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestChildCanonical(t *testing.T) {
	msg := []byte(`<message xmlns='jabber:client'><x xmlns='urn:ext' a='1'><y/></x><body>b</body><z xmlns='urn:ext'><x a='2'/></z></message>`)
	tests := []struct {
		ns, local string
		want      string
	}{
		0: {ns: "jabber:client", local: "body", want: "{jabber:client}body\n  \"b\"\n"},
		// The first in document order; the inherited default namespace applies.
		1: {ns: "urn:ext", local: "x", want: "{urn:ext}x\n  @a=\"1\"\n  {urn:ext}y\n"},
		2: {ns: "urn:ext", local: "y", want: "{urn:ext}y\n"},
	}
	for i, tc := range tests {
		got, err := ChildCanonical(msg, tc.ns, tc.local)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%d: got %q, want %q", i, got, tc.want)
		}
	}
	if _, err := ChildCanonical(msg, "jabber:client", "message"); err == nil {
		t.Error("the root itself was found as its own child")
	}
	if _, err := ChildCanonical(msg, "urn:other", "body"); err == nil {
		t.Error("a child in the wrong namespace was found")
	}
}
