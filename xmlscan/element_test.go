package xmlscan

import (
	"reflect"
	"strings"
	"testing"
)

// child describes one direct child as a test expects it.
type child struct {
	raw, ns, local string
}

func TestChildren(t *testing.T) {
	tests := [...]struct {
		in   string
		want []child
	}{
		0: {`<a/>`, nil},
		1: {`<a>text</a>`, nil},
		2: {`<a xmlns='urn:d'><b/>t<c x='>'>in<d/></c><![CDATA[<e/>]]><!--<f/>--><g></g></a>`, []child{
			{`<b/>`, "urn:d", "b"},
			{`<c x='>'>in<d/></c>`, "urn:d", "c"},
			{`<g></g>`, "urn:d", "g"},
		}},
		3: {`<a xmlns:p='urn:p' xmlns='urn:d'><p:b/><c xmlns='urn:c'/><d xmlns=''/><p:e xmlns:p='urn:q'/></a>`, []child{
			{`<p:b/>`, "urn:p", "b"},
			{`<c xmlns='urn:c'/>`, "urn:c", "c"},
			{`<d xmlns=''/>`, "", "d"},
			{`<p:e xmlns:p='urn:q'/>`, "urn:q", "e"},
		}},
		4: {`<a><b><b><b/></b></b><b/></a>`, []child{
			{`<b><b><b/></b></b>`, "", "b"},
			{`<b/>`, "", "b"},
		}},
		5: {`<a xmlns='urn:a&amp;b'><x:b xmlns:x="urn:&#x78;"/></a>`, []child{
			{`<x:b xmlns:x="urn:&#x78;"/>`, "urn:x", "b"},
		}},
	}
	for i, tc := range tests {
		root, err := Parse([]byte(tc.in))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		var got []child
		c := root.Children()
		for c.Next() {
			el := c.Element()
			ns, err := el.Namespace()
			if err != nil {
				t.Errorf("%d: Namespace: %v", i, err)
			}
			s, e := el.Range()
			if string(el.Raw()) != tc.in[s:e] {
				t.Errorf("%d: Raw %q != range %q", i, el.Raw(), tc.in[s:e])
			}
			if !el.Is(string(ns), string(el.Local())) {
				t.Errorf("%d: Is(%q, %q) is false", i, ns, el.Local())
			}
			got = append(got, child{string(el.Raw()), string(ns), string(el.Local())})
		}
		if c.Err() != nil {
			t.Errorf("%d: Err: %v", i, c.Err())
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: children\n got %q\nwant %q", i, got, tc.want)
		}
	}
}

func TestNamespaceInheritedThroughLevels(t *testing.T) {
	doc := `<m xmlns='jabber:client' xmlns:a='urn:a'><f xmlns='urn:f'><a:x><y/><a:z/></a:x></f></m>`
	root, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := root.Child("urn:f", "f")
	if !ok {
		t.Fatal("no f")
	}
	x, ok := f.Child("urn:a", "x")
	if !ok {
		t.Fatal("no a:x")
	}
	if _, ok := x.Child("urn:f", "y"); !ok {
		t.Error("y does not inherit urn:f")
	}
	if _, ok := x.Child("urn:a", "z"); !ok {
		t.Error("a:z does not resolve through the root")
	}
	if root.Is("urn:f", "m") || !root.Is("jabber:client", "m") {
		t.Error("root namespace wrong")
	}
}

func TestUnboundPrefix(t *testing.T) {
	root, err := Parse([]byte(`<a><p:b/><c xmlns:q=''><q:d/></c></a>`))
	if err != nil {
		t.Fatal(err)
	}
	c := root.Children()
	c.Next()
	b := c.Element()
	if _, err := b.Namespace(); err == nil {
		t.Error("unbound prefix p resolved")
	}
	if b.Is("", "b") {
		t.Error("unbound prefix matches the empty namespace")
	}
	c.Next()
	cc := c.Element()
	d := cc.Children()
	d.Next()
	dd := d.Element()
	if _, err := dd.Namespace(); err == nil {
		t.Error("xmlns:q='' binds q")
	}
	if ns, ok := root.LookupPrefix([]byte("xml")); !ok || string(ns) != XMLNamespace {
		t.Errorf("xml prefix = %q, %v", ns, ok)
	}
}

func TestAttrs(t *testing.T) {
	doc := "<a  x='1' y = \"a&lt;b&#10;c\"\n xml:lang='en' z='t\tu\r\nv' e=''/>"
	root, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	type attr struct{ name, raw, value string }
	want := []attr{
		{"x", "1", "1"},
		{"y", "a&lt;b&#10;c", "a<b\nc"},
		{"xml:lang", "en", "en"},
		{"z", "t\tu\r\nv", "t u v"},
		{"e", "", ""},
	}
	var got []attr
	for it := root.Attrs(); it.Next(); {
		a := it.Attr()
		v, err := a.Unescape(nil)
		if err != nil {
			t.Fatal(err)
		}
		if doc[a.ValueStart():a.ValueStart()+len(a.Value)] != string(a.Value) || doc[a.Start:a.Start+len(a.Name)] != string(a.Name) {
			t.Errorf("offsets of %q wrong", a.Name)
		}
		if a.Plain() != (string(v) == string(a.Value)) {
			t.Errorf("Plain() of %q = %v", a.Value, a.Plain())
		}
		got = append(got, attr{string(a.Name), string(a.Value), string(v)})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attrs\n got %q\nwant %q", got, want)
	}
	if a, ok := root.Attr("xml:lang"); !ok || string(a.Prefix()) != "xml" || string(a.Local()) != "lang" {
		t.Errorf("Attr(xml:lang) = %+v, %v", a, ok)
	}
	if _, ok := root.Attr("lang"); ok {
		t.Error("Attr matches a local name")
	}
}

func TestText(t *testing.T) {
	tests := [...]struct{ in, text, inner string }{
		0: {`<p>5</p>`, "5", "5"},
		1: {`<p/>`, "", ""},
		2: {"<p> -1 &amp; <b>x&#x31;</b><![CDATA[<&>]]><!--c-->\r\n</p>", " -1 & x1<&>\n", " -1 &amp; <b>x&#x31;</b><![CDATA[<&>]]><!--c-->\r\n"},
	}
	for i, tc := range tests {
		root, err := Parse([]byte(tc.in))
		if err != nil {
			t.Fatal(i, err)
		}
		got, err := root.Text()
		if err != nil || got != tc.text {
			t.Errorf("%d: Text() = %q, %v; want %q", i, got, err, tc.text)
		}
		if string(root.Inner()) != tc.inner {
			t.Errorf("%d: Inner() = %q; want %q", i, root.Inner(), tc.inner)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	tests := [...]struct{ in, want string }{
		0: {"plain", "plain"},
		1: {`<&>'"`, "&lt;&amp;&gt;&apos;&quot;"},
		2: {"a\tb\nc\rd", "a&#9;b&#10;c&#13;d"},
		3: {"\x00\x1f", "\uFFFD\uFFFD"},
		4: {"\xff", "\uFFFD"},
		5: {"é\uFFFE€", "é\uFFFD€"},
	}
	for i, tc := range tests {
		if got := string(AppendEscaped([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("%d: AppendEscaped(%q) = %q, want %q", i, tc.in, got, "x"+tc.want)
		}
	}
}

func TestZeroElement(t *testing.T) {
	var e Element
	c, a := e.Children(), e.Attrs()
	if e.Name() != nil || len(e.Raw()) != 0 || c.Next() || a.Next() || e.SelfClosing() {
		t.Error("zero Element is not empty")
	}
	if _, ok := e.Child("", ""); ok {
		t.Error("zero Element has a child")
	}
	if s, err := e.Text(); s != "" || err != nil {
		t.Error("zero Element has text")
	}
}

func TestSyntaxErrorString(t *testing.T) {
	_, err := Parse([]byte("<a>"))
	if err == nil || !strings.HasPrefix(err.Error(), "xmlscan: ") {
		t.Errorf("error %v does not start with the package name", err)
	}
}
