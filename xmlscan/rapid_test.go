package xmlscan

import (
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// node is a generated element: what a parser must read back from its serialization.
type node struct {
	Name     string
	Attrs    [][2]string // name, unescaped value
	Text     string      // all character data below, unescaped
	Children []node
}

var (
	genName  = rapid.SampledFrom([]string{"a", "b", "rule", "x-y", "n.1", "_z"})
	genValue = rapid.StringOf(rapid.SampledFrom([]rune("ab <>&'\"\t\n\r€\U0001F600]")))
)

func genNode(depth int) *rapid.Generator[node] {
	return rapid.Custom(func(t *rapid.T) node {
		n := node{Name: genName.Draw(t, "name")}
		seen := map[string]bool{}
		for _, an := range rapid.SliceOfN(genName, 0, 4).Draw(t, "attrs") {
			if !seen[an] {
				seen[an] = true
				n.Attrs = append(n.Attrs, [2]string{an, genValue.Draw(t, "value")})
			}
		}
		if depth > 0 {
			n.Children = rapid.SliceOfN(genNode(depth-1), 0, 3).Draw(t, "children")
		}
		n.Text = genValue.Draw(t, "text")
		return n
	})
}

// write serializes n with random quoting, spacing, CDATA and comments; it returns the text
// content a parser must read back.
func write(t *rapid.T, b *strings.Builder, n node) string {
	b.WriteString("<" + n.Name)
	for _, a := range n.Attrs {
		b.WriteString(rapid.SampledFrom([]string{" ", "\n  ", "\t"}).Draw(t, "sp"))
		q := rapid.SampledFrom([]string{"'", `"`}).Draw(t, "quote")
		b.WriteString(a[0] + "=" + q + string(AppendEscaped(nil, a[1])) + q)
	}
	if len(n.Children) == 0 && n.Text == "" && rapid.Bool().Draw(t, "empty") {
		b.WriteString("/>")
		return ""
	}
	b.WriteString(">")
	var text strings.Builder
	for i, c := range n.Children {
		if i == 0 {
			writeText(t, b, &text, n.Text)
		}
		if rapid.Bool().Draw(t, "comment") {
			b.WriteString("<!-- <x> -->")
		}
		text.WriteString(write(t, b, c))
	}
	if len(n.Children) == 0 {
		writeText(t, b, &text, n.Text)
	}
	b.WriteString("</" + n.Name + ">")
	return text.String()
}

func writeText(t *rapid.T, b, text *strings.Builder, s string) {
	text.WriteString(s)
	if !strings.Contains(s, "]]>") && !strings.Contains(s, "\r") && rapid.Bool().Draw(t, "cdata") {
		b.WriteString("<![CDATA[" + s + "]]>")
		return
	}
	b.WriteString(string(AppendEscaped(nil, s)))
}

// read builds the node tree a parser sees.
func read(t *rapid.T, e *Element) node {
	n := node{Name: string(e.Name())}
	for it := e.Attrs(); it.Next(); {
		a := it.Attr()
		v, err := a.Unescape(nil)
		if err != nil {
			t.Fatal(err)
		}
		n.Attrs = append(n.Attrs, [2]string{string(a.Name), string(v)})
	}
	for c := e.Children(); c.Next(); {
		el := c.Element()
		n.Children = append(n.Children, read(t, &el))
	}
	return n
}

func TestRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := genNode(3).Draw(t, "tree")
		var b strings.Builder
		text := write(t, &b, want)
		root, err := Parse([]byte(b.String()))
		if err != nil {
			t.Fatalf("Parse(%q): %v", b.String(), err)
		}
		got := read(t, &root)
		strip(&want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read back\n got %+v\nwant %+v", got, want)
		}
		gotText, err := root.Text()
		if err != nil || gotText != text {
			t.Fatalf("Text() = %q, %v; want %q", gotText, err, text)
		}
	})
}

// strip clears what read does not report (text per node) from a generated tree, and makes
// empty slices nil as read leaves them.
func strip(n *node) {
	n.Text = ""
	if len(n.Attrs) == 0 {
		n.Attrs = nil
	}
	if len(n.Children) == 0 {
		n.Children = nil
	}
	for i := range n.Children {
		strip(&n.Children[i])
	}
}

// TestOrdinaryProperty checks the eight-bytes-at-a-time scan against a byte loop.
func TestOrdinaryProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		value := rapid.SliceOfN(rapid.SampledFrom([]byte("ab<&\x00\x1f\x20\x7f\x80\xff'\"=;")), 0, 40).Draw(t, "value")
		from := rapid.IntRange(0, len(value)).Draw(t, "from")
		want := len(value)
		for i := from; i < len(value); i++ {
			if c := value[i]; c == '<' || c == '&' || c < 0x20 || c >= 0x80 {
				want = i
				break
			}
		}
		if got := ordinary(value, from); got != want {
			t.Fatalf("ordinary(%q, %d) = %d, want %d", value, from, got, want)
		}
	})
}
