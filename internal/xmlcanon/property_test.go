package xmlcanon

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// serialise writes n back as XML in one of several styles that must all have
// the same canonical form: style picks quotes, attribute order, whether names
// use a prefix or the default namespace, how text is escaped and whether empty
// elements self-close.
func serialise(n *node, style int) string {
	var b strings.Builder
	writeXML(&b, n, "\x00none", style)
	return b.String()
}

func writeXML(b *strings.Builder, n *node, inherited string, style int) {
	q := `'`
	if style&1 != 0 {
		q = `"`
	}
	name := n.local
	var decls string
	switch {
	case style&2 != 0 && n.space != "":
		// Prefixed name; the default namespace is reset so that unprefixed
		// children know where they stand.
		name = "e:" + n.local
		decls = fmt.Sprintf(" xmlns:e=%s%s%s xmlns=%s%s", q, escape(n.space, style), q, q, q)
		inherited = ""
	case n.space != inherited:
		decls = fmt.Sprintf(" xmlns=%s%s%s", q, escape(n.space, style), q)
		inherited = n.space
	}
	b.WriteString("<" + name + decls)
	attrs := slices.Clone(n.attrs)
	if style&4 != 0 {
		slices.Reverse(attrs)
	}
	for i, a := range attrs {
		an := a.local
		switch a.space {
		case "":
		case xmlNS:
			an = "xml:" + a.local
		default:
			p := fmt.Sprintf("a%d", i)
			b.WriteString(fmt.Sprintf(" xmlns:%s=%s%s%s", p, q, escape(a.space, style), q))
			an = p + ":" + a.local
		}
		b.WriteString(fmt.Sprintf(" %s=%s%s%s", an, q, escape(a.value, style), q))
	}
	if len(n.children) == 0 && style&8 != 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	for _, c := range n.children {
		if c.elem != nil {
			writeXML(b, c.elem, inherited, style)
			continue
		}
		b.WriteString(escape(c.text, style))
	}
	b.WriteString("</" + name + ">")
}

// escape escapes s minimally or with a character reference for every
// character, depending on style.
func escape(s string, style int) string {
	if style&16 == 0 {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", "'", "&apos;", `"`, "&quot;").Replace(s)
	}
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, "&#x%X;", r)
	}
	return b.String()
}

func genNode(depth int) *rapid.Generator[*node] {
	return rapid.Custom(func(t *rapid.T) *node {
		n := &node{
			space: rapid.SampledFrom([]string{"", "urn:a", "jabber:client"}).Draw(t, "space"),
			local: rapid.SampledFrom([]string{"message", "body", "x", "amp"}).Draw(t, "local"),
		}
		seen := map[attr]bool{}
		for range rapid.IntRange(0, 3).Draw(t, "attrs") {
			a := attr{
				space: rapid.SampledFrom([]string{"", "", xmlNS, "urn:p"}).Draw(t, "aspace"),
				local: rapid.SampledFrom([]string{"id", "to", "lang"}).Draw(t, "alocal"),
			}
			if a.space == xmlNS {
				a.local = "lang"
			}
			if seen[attr{space: a.space, local: a.local}] {
				continue
			}
			seen[attr{space: a.space, local: a.local}] = true
			a.value = rapid.StringMatching(`[a-z&<'" é☺]{0,5}`).Draw(t, "value")
			n.attrs = append(n.attrs, a)
		}
		if depth > 0 {
			for range rapid.IntRange(0, 3).Draw(t, "children") {
				if rapid.Bool().Draw(t, "isText") {
					text := rapid.StringMatching(`[a-z&<'" é☺]{1,5}`).Draw(t, "text")
					if k := len(n.children); k > 0 && n.children[k-1].elem == nil {
						n.children[k-1].text += text
					} else {
						n.children = append(n.children, child{text: text})
					}
					continue
				}
				n.children = append(n.children, child{elem: genNode(depth-1).Draw(t, "child")})
			}
		}
		return n
	})
}

// Every way of writing the same tree has the same canonical form.
func TestPropertySerialisationStyleIrrelevant(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := genNode(2).Draw(t, "tree")
		s1 := rapid.IntRange(0, 31).Draw(t, "style1")
		s2 := rapid.IntRange(0, 31).Draw(t, "style2")
		a, b := serialise(n, s1), serialise(n, s2)
		if eq, diff := (Options{KeepSpace: true}).Equal([]byte(a), []byte(b)); !eq {
			t.Fatalf("%s\n%s\n%s", a, b, diff)
		}
	})
}

// Changing any attribute value changes the canonical form.
func TestPropertyAttributeChangeDetected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := genNode(1).Draw(t, "tree")
		if len(n.attrs) == 0 {
			t.Skip("no attribute to change")
		}
		before := serialise(n, 0)
		i := rapid.IntRange(0, len(n.attrs)-1).Draw(t, "attr")
		n.attrs[i].value += "z"
		after := serialise(n, 0)
		if eq, _ := Equal([]byte(before), []byte(after)); eq {
			t.Fatalf("%s and %s compared equal", before, after)
		}
	})
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`<message xmlns='jabber:client' to='b@x' xml:lang='en'><body>hi &amp; bye</body></message>`,
		`<s:x xmlns:s='urn:s' b='2' a='1' s:c='3'><y xmlns='urn:y'/></s:x>`,
		`<a>&#x263A;<![CDATA[<&>]]>é<!-- c --></a>`,
		`<a><b xmlns='urn:b'><b><c/></b></b><d><b xmlns='urn:b'/></d></a>`,
		`<p:a/>`,
		`<a><b></a>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := Options{KeepSpace: true}.Canonical(raw)
		if err != nil {
			return
		}
		root, err := parse(raw)
		if err != nil {
			t.Fatalf("Canonical accepted what parse refuses: %v", err)
		}
		for style := range 32 {
			again := serialise(root, style)
			c2, err := Options{KeepSpace: true}.Canonical([]byte(again))
			if err != nil {
				t.Fatalf("style %d: re-serialised form refused: %v\n%s", style, err, again)
			}
			if c2 != c {
				t.Fatalf("style %d: canonical form changed:\n%s", style, Diff(c, c2))
			}
		}
		cut, err := Without(raw, "urn:x-none", "none")
		if err != nil {
			t.Fatalf("Without refused what Canonical accepts: %v", err)
		}
		if string(cut) != string(raw) {
			t.Fatalf("Without with no match changed the bytes: %q", cut)
		}
	})
}
