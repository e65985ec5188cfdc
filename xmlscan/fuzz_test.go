package xmlscan

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`<a/>`,
		`<message xmlns='jabber:client' from='a@b/c' to='d@e' id='1'><body>hi &amp; bye</body><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='stored'/></amp></message>`,
		`<p:a xmlns:p='urn:p' x="&#x41;"><![CDATA[<x>]]><!-- c --><p:b/>text</p:a>`,
		`<a><b><c/></b></a>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkSkip(t, doc)
		root, err := Parse(doc)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(doc) {
				t.Fatalf("error %v is not a *SyntaxError within the document", err)
			}
			return
		}
		var tree []string
		walk(t, doc, &root, &tree)
		var s Scanner
		s.Reset(doc)
		var scanned []string
		for s.Next() {
			e := s.Element()
			if !s.IsStart() {
				scanned = append(scanned, describe(&e))
				continue
			}
			// Attributes recorded by the Scanner and lexed again by the view agree.
			recorded, lexed := s.Attrs(), e.Attrs()
			for recorded.Next() {
				if !lexed.Next() {
					t.Fatalf("the view lexes fewer attributes than recorded")
				}
				a, b := recorded.Attr(), lexed.Attr()
				if !bytes.Equal(a.Name, b.Name) || !bytes.Equal(a.Value, b.Value) || a.Start != b.Start ||
					a.End != b.End || a.Plain() != b.Plain() {
					t.Fatalf("recorded %+v, lexed %+v", a, b)
				}
				checkAccessors(t, &recorded, a)
				checkAccessors(t, &lexed, b)
			}
			if lexed.Next() {
				t.Fatalf("the view lexes more attributes than recorded")
			}
		}
		if s.Err() != nil || !slices.Equal(scanned, tree) {
			t.Fatalf("Scanner (%v) and Element views disagree:\n%q\n%q", s.Err(), scanned, tree)
		}
		if wellFormedChars(doc) && !stdlibAccepts(doc) {
			t.Fatalf("xmlscan accepts what encoding/xml rejects: %q", doc)
		}
	})
}

// checkAccessors checks that the iterator's accessors agree with the Attr it gives.
func checkAccessors(t *testing.T, it *Attrs, a Attr) {
	t.Helper()
	vs, ve := it.ValueRange()
	if !bytes.Equal(it.Name(), a.Name) || vs != a.ValueStart() || ve != a.End-1 || it.Plain() != a.Plain() {
		t.Fatalf("accessors %q %d-%d %v, Attr %+v", it.Name(), vs, ve, it.Plain(), a)
	}
}

// describe gives an element's range and namespace.
func describe(e *Element) string {
	s, end := e.Range()
	ns, err := e.Namespace()
	return fmt.Sprintf("%d-%d %q %v", s, end, ns, err != nil)
}

// walk checks the invariants of every element view below e and appends the elements in the
// order they end.
func walk(t *testing.T, doc []byte, e *Element, out *[]string) {
	s, end := e.Range()
	is, ie := e.InnerRange()
	if !(0 <= s && s < is && is <= ie && ie <= end && end <= len(doc)) {
		t.Fatalf("ranges out of order: [%d [%d %d) %d)", s, is, ie, end)
	}
	if _, err := Parse(e.Raw()); err != nil {
		t.Fatalf("element %q does not parse on its own: %v", e.Raw(), err)
	}
	if _, err := e.Text(); err != nil {
		t.Fatalf("Text: %v", err)
	}
	for it := e.Attrs(); it.Next(); {
		a := it.Attr()
		if _, err := a.Unescape(nil); err != nil {
			t.Fatalf("attribute %q: %v", a.Name, err)
		}
	}
	_, _ = e.Namespace()
	prev := is
	c := e.Children()
	for c.Next() {
		el := c.Element()
		cs, ce := el.Range()
		if cs < prev || ce > ie {
			t.Fatalf("child [%d,%d) outside parent content [%d,%d) or overlapping", cs, ce, prev, ie)
		}
		prev = ce
		walk(t, doc, &el, out)
	}
	if c.Err() != nil {
		t.Fatalf("Children: %v", c.Err())
	}
	*out = append(*out, describe(e))
}

// wellFormedChars reports whether doc is made of ASCII XML Chars only and has no ']]>' outside
// CDATA sections: the part of well-formedness that xmlscan leaves to the XMPP server (it
// also accepts any non-ASCII byte in names, where encoding/xml checks Unicode classes).
func wellFormedChars(doc []byte) bool {
	if bytes.Contains(doc, []byte("]]>")) && !bytes.Contains(doc, []byte("<![CDATA[")) {
		return false
	}
	for _, c := range doc {
		if c >= utf8.RuneSelf || !isXMLChar(rune(c)) {
			return false
		}
	}
	return true
}

func stdlibAccepts(doc []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.RawToken()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}
