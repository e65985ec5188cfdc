package xmlcanon

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Options changes what the canonical form keeps.
type Options struct {
	// KeepSpace keeps text nodes that are only white space. By default they
	// are dropped: servers are free to pretty-print or compact a stanza.
	KeepSpace bool
}

// Canonical returns the canonical form of the single element in raw with the
// default options.
//
// For <message xmlns='jabber:client' to='b@x' xml:lang='en'><body>hi &amp; bye</body></message>
// it is:
//
//	{jabber:client}message
//	  @to="b@x"
//	  @{http://www.w3.org/XML/1998/namespace}lang="en"
//	  {jabber:client}body
//	    "hi & bye"
//
// raw must be one well-formed element with every prefix bound in it.
func Canonical(raw []byte) (string, error) {
	return Options{}.Canonical(raw)
}

// Canonical returns the canonical form of the single element in raw.
func (o Options) Canonical(raw []byte) (string, error) {
	root, err := parse(raw)
	if err != nil {
		return "", err
	}
	return o.render(root), nil
}

// ChildCanonical returns the canonical form of the first element below the
// root of raw (any depth, document order) with namespace ns and local name
// local. The namespace context of its ancestors applies, so a child that
// inherits its parent's default namespace is compared correctly. It fails
// when raw has no such element.
func ChildCanonical(raw []byte, ns, local string) (string, error) {
	return Options{}.ChildCanonical(raw, ns, local)
}

// ChildCanonical is ChildCanonical with these options.
func (o Options) ChildCanonical(raw []byte, ns, local string) (string, error) {
	root, err := parse(raw)
	if err != nil {
		return "", err
	}
	n := root.find(ns, local)
	if n == nil {
		return "", fmt.Errorf("xmlcanon: no element {%s}%s below the root", ns, local)
	}
	return o.render(n), nil
}

// render writes the canonical form of n.
func (o Options) render(n *node) string {
	var b strings.Builder
	o.write(&b, n, 0)
	return b.String()
}

func (o Options) write(b *strings.Builder, n *node, depth int) {
	indent := strings.Repeat("  ", depth)
	b.WriteString(indent)
	b.WriteString(qualified(n.space, n.local))
	b.WriteByte('\n')
	attrs := slices.Clone(n.attrs)
	slices.SortFunc(attrs, func(x, y attr) int {
		return cmp.Or(cmp.Compare(x.space, y.space), cmp.Compare(x.local, y.local))
	})
	for _, a := range attrs {
		fmt.Fprintf(b, "%s  @%s=%s\n", indent, qualified(a.space, a.local), strconv.Quote(a.value))
	}
	for _, c := range n.children {
		switch {
		case c.elem != nil:
			o.write(b, c.elem, depth+1)
		case o.KeepSpace || !isSpace(c.text):
			fmt.Fprintf(b, "%s  %s\n", indent, strconv.Quote(c.text))
		}
	}
}

// qualified writes a resolved name in Clark notation, {namespace}local, or
// just local for a name in no namespace.
func qualified(space, local string) string {
	if space == "" {
		return local
	}
	return "{" + space + "}" + local
}
