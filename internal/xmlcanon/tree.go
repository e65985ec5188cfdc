// Package xmlcanon compares XML elements by meaning rather than by bytes, for
// tests.
//
// An XMPP server re-serialises every stanza it routes: it may change quote
// styles, prefixes, the order of attributes, escapes and empty-element forms.
// A test that checks "the recipient got what the sender sent" therefore
// compares canonical forms: element and attribute names with their namespaces
// resolved, attributes sorted, namespace declarations dropped (their effect is
// in the resolved names), xml:lang kept as an ordinary attribute, and text
// unescaped. Text that is only white space between elements is dropped unless
// Options.KeepSpace is set.
//
// The canonical form is line-oriented text, one element, attribute or text
// node per line, indented by depth, so that a difference reads as a line diff.
package xmlcanon

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// xmlNS is the namespace bound to the reserved prefix xml.
const xmlNS = "http://www.w3.org/XML/1998/namespace"

// node is one element with its namespace resolved.
type node struct {
	space, local string
	attrs        []attr
	children     []child
}

// attr is one attribute that is not a namespace declaration.
type attr struct {
	space, local, value string
}

// child is either a text node (elem == nil) or an element.
type child struct {
	text string
	elem *node
}

// scope is the namespace bindings in force for one open element.
type scope struct {
	prefixes map[string]string // prefix → namespace; "" is the default namespace
}

// parse reads one element into a tree. The structure is checked by xmlscan
// (matching end tags, a single root, no processing instructions); the tokens
// come from encoding/xml's raw tokenizer, and namespaces are resolved here so
// that an unbound prefix is an error instead of passing silently.
func parse(raw []byte) (*node, error) {
	if _, err := xmlscan.Parse(raw); err != nil {
		return nil, fmt.Errorf("xmlcanon: %w", err)
	}
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.Strict = true
	var (
		stack  []*node
		scopes = []scope{{prefixes: map[string]string{"": "", "xml": xmlNS}}}
		root   *node
	)
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("xmlcanon: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n, sc, err := resolve(t, scopes[len(scopes)-1])
			if err != nil {
				return nil, err
			}
			if len(stack) == 0 {
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, child{elem: n})
			}
			stack = append(stack, n)
			scopes = append(scopes, sc)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			scopes = scopes[:len(scopes)-1]
		case xml.CharData:
			if len(stack) == 0 || len(t) == 0 {
				continue // white space around the root, or an empty CDATA section
			}
			parent := stack[len(stack)-1]
			// Adjacent text and CDATA sections are one text node.
			if k := len(parent.children); k > 0 && parent.children[k-1].elem == nil {
				parent.children[k-1].text += string(t)
			} else {
				parent.children = append(parent.children, child{text: string(t)})
			}
		}
	}
	if root == nil {
		return nil, errors.New("xmlcanon: no element")
	}
	return root, nil
}

// resolve turns a raw start tag into a node, given the bindings of its parent,
// and returns the bindings in force inside it.
func resolve(t xml.StartElement, parent scope) (*node, scope, error) {
	sc := parent
	copied := false
	for _, a := range t.Attr {
		prefix, isDecl := declaredPrefix(a.Name)
		if !isDecl {
			continue
		}
		if prefix != "" && a.Value == "" {
			// Namespaces in XML 1.0 §3: a prefix may not be bound to no namespace (servers
			// refuse it; xmlscan leaves the prefix unbound). Binding it to "" would make
			// s:A the same attribute as A.
			return nil, sc, fmt.Errorf("xmlcanon: xmlns:%s='' on element %s: a prefix cannot be undeclared in XML 1.0", prefix, t.Name.Local)
		}
		if !copied {
			sc = scope{prefixes: make(map[string]string, len(parent.prefixes)+1)}
			for k, v := range parent.prefixes {
				sc.prefixes[k] = v
			}
			copied = true
		}
		sc.prefixes[prefix] = a.Value
	}
	space, ok := sc.prefixes[t.Name.Space]
	if !ok {
		return nil, sc, fmt.Errorf("xmlcanon: unbound prefix %q on element %s", t.Name.Space, t.Name.Local)
	}
	n := &node{space: space, local: t.Name.Local}
	for _, a := range t.Attr {
		if _, isDecl := declaredPrefix(a.Name); isDecl {
			continue
		}
		as := "" // an unprefixed attribute is in no namespace
		if a.Name.Space != "" {
			if as, ok = sc.prefixes[a.Name.Space]; !ok {
				return nil, sc, fmt.Errorf("xmlcanon: unbound prefix %q on attribute %s", a.Name.Space, a.Name.Local)
			}
		}
		n.attrs = append(n.attrs, attr{space: as, local: a.Name.Local, value: a.Value})
	}
	return n, sc, nil
}

// declaredPrefix reports whether name is a namespace declaration (xmlns or
// xmlns:p) and which prefix it binds ("" for the default namespace).
func declaredPrefix(name xml.Name) (string, bool) {
	switch {
	case name.Space == "" && name.Local == "xmlns":
		return "", true
	case name.Space == "xmlns":
		return name.Local, true
	}
	return "", false
}

// find returns the first element below n (n itself excluded), in document
// order, with the given namespace and local name.
func (n *node) find(space, local string) *node {
	for _, c := range n.children {
		if c.elem == nil {
			continue
		}
		if c.elem.space == space && c.elem.local == local {
			return c.elem
		}
		if f := c.elem.find(space, local); f != nil {
			return f
		}
	}
	return nil
}

// isSpace reports whether s is only XML white space.
func isSpace(s string) bool {
	return strings.Trim(s, " \t\r\n") == ""
}
