package xmlscan

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	tests := [...]struct {
		in, msg string
	}{
		0:  {``, "no root element"},
		1:  {`   `, "no root element"},
		2:  {`text`, "text outside the root element"},
		3:  {`<a>`, "element not closed"},
		4:  {`<a></b>`, "does not match"},
		5:  {`<a><b></a></b>`, "does not match"},
		6:  {`<a/><b/>`, "content after the root element"},
		7:  {`<a/>x`, "text outside the root element"},
		8:  {`<a b='1' b='2'/>`, "written twice"},
		9:  {`<a b='1'c='2'/>`, "expected whitespace before an attribute"},
		10: {`<a b=1/>`, "expected a quoted attribute value"},
		11: {`<a b='1/>`, "unterminated attribute value"},
		12: {`<a b='<'/>`, "'<' in an attribute value"},
		13: {`<a b='&foo;'/>`, "invalid entity"},
		14: {`<a>&amp</a>`, "invalid entity"},
		15: {`<a>&#0;</a>`, "invalid entity"},
		16: {`<a>&#x110000;</a>`, "invalid entity"},
		17: {`<a>&#xD800;</a>`, "invalid entity"},
		18: {`<a>&#x;</a>`, "invalid entity"},
		19: {`<a>&#12a;</a>`, "invalid entity"},
		20: {`<!DOCTYPE a><a/>`, "markup declarations are not allowed"},
		21: {`<a><!DOCTYPE a></a>`, "markup declarations are not allowed"},
		22: {`<a><!-- x -- y --></a>`, "'--' inside a comment"},
		23: {`<a><!-- x </a>`, "unterminated comment"},
		24: {`<a><![CDATA[ x </a>`, "unterminated CDATA"},
		25: {`<a><?pi x?></a>`, "processing instructions are not allowed"},
		26: {`<?xml version='1.0'?><a/>`, "processing instructions are not allowed"},
		27: {`</a>`, "expected the root element's start tag"},
		28: {`<1a/>`, "expected an element name"},
		29: {`<a / >`, "expected '>' after '/'"},
		30: {`<a b/>`, "expected '='"},
		31: {`<a></a `, "expected '>' to close the end tag"},
		32: {`<`, "unexpected end of input"},
		33: {`<a`, "unexpected end of input in start tag"},
		34: {`<a b='x'`, "unexpected end of input in start tag"},
		35: {`<a>` + strings.Repeat("<b>", 40) + strings.Repeat("</b>", 39) + `</a>`, "does not match"},
		36: {`<a ` + strings.Repeat("x", 0) + manyAttrs(MaxAttrs+1) + `/>`, "too many attributes"},
		37: {`<a><!-- x ---></a>`, "'--' inside a comment"},
		38: {`<::/>`, "expected an element name"},
		39: {`<a:/>`, "expected an element name"},
		40: {`<a:b:c/>`, "expected an element name"},
		41: {`<a :b='1'/>`, "expected an attribute name"},
		42: {"<a b='\x01'/>", "invalid character in an attribute value"},
		43: {"<a b='\xff'/>", "invalid character in an attribute value"},
		44: {"<a b='\xef\xbf\xbe'/>", "invalid character in an attribute value"}, // U+FFFE
		45: {"<a b='\xed\xa0\x80'/>", "invalid character in an attribute value"}, // a surrogate
		// Duplicates found among the recorded attributes and past them.
		46: {`<a` + manyAttrs(8) + ` ax='2'/>`, "written twice"},
		47: {`<a` + manyAttrs(12) + ` axxxxxxxxxx='2'/>`, "written twice"},
		48: {`<a` + manyAttrs(12) + ` axx='2'/>`, "written twice"},
	}
	for i, tc := range tests {
		_, err := Parse([]byte(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%d: Parse(%q) = %v, want a *SyntaxError", i, tc.in, err)
			continue
		}
		if !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%d: Parse(%q) = %q, want %q", i, tc.in, se.Msg, tc.msg)
		}
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" a")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString("='1'")
	}
	return b.String()
}

func TestParseAccepts(t *testing.T) {
	tests := [...]string{
		0: `<a/>`,
		1: "\n <!-- lead -->\n<a x=\"1\" y='\"'>t&lt;&#65;&#x42;<![CDATA[<&>]]><!---->\n</a >\n<!-- tail -->\n",
		2: `<a>` + strings.Repeat("<b>", 40) + strings.Repeat("</b>", 40) + `</a>`,
		3: `<p:a xmlns:p='urn:p'><p:b/></p:a>`,
		4: `<a ` + manyAttrs(MaxAttrs) + `/>`,
		5: `<a b = '>' c="'"/>`,
	}
	for i, in := range tests {
		root, err := Parse([]byte(in))
		if err != nil {
			t.Errorf("%d: Parse(%q): %v", i, in, err)
			continue
		}
		s, e := root.Range()
		if in[s] != '<' || in[e-1] != '>' {
			t.Errorf("%d: Range() = [%d,%d) = %q", i, s, e, in[s:e])
		}
	}
}
