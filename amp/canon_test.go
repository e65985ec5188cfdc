package amp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/xepexamples"
)

// canonical renders an XML document for semantic comparison, using encoding/xml as an
// independent parser: element names with their resolved namespaces (jabber:client counted as
// no namespace, since replies declare it and the XEP examples do not), attributes as a
// sorted set without namespace declarations, text trimmed, children in order.
func canonical(t testing.TB, doc []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var b strings.Builder
	var text strings.Builder
	depth := 0
	flush := func() {
		if s := strings.TrimSpace(text.String()); s != "" {
			fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), s)
		}
		text.Reset()
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("canonical: %v in %s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			flush()
			var attrs []string
			for _, a := range tok.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
			}
			sort.Strings(attrs)
			ns := tok.Name.Space
			if ns == NSClient {
				ns = ""
			}
			fmt.Fprintf(&b, "%s<{%s}%s %s>\n", strings.Repeat("  ", depth), ns, tok.Name.Local, strings.Join(attrs, " "))
			depth++
		case xml.EndElement:
			flush()
			depth--
		case xml.CharData:
			text.Write(tok)
		}
	}
	return b.String()
}

// examplesDir finds the shared XEP-0079 examples, or skips.
func examplesDir(t testing.TB) string { return xepexamples.Dir(t) }

// example returns the bytes of XEP-0079 Example n.
func example(t testing.TB, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir(t), fmt.Sprintf("example-%02d.xml", n)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCanonical(t *testing.T) {
	a := canonical(t, []byte(`<message xmlns='jabber:client' to="x" from='y'>  <a:b xmlns:a='urn:a' k='v'/> hi </message>`))
	b := canonical(t, []byte(`<message from="y" to='x'><b xmlns='urn:a' k="v"></b>hi</message>`))
	if a != b {
		t.Errorf("equivalent documents differ:\n%s\n%s", a, b)
	}
	c := canonical(t, []byte(`<message from="y" to='x'><b xmlns='urn:other' k="v"></b>hi</message>`))
	if a == c {
		t.Error("documents with different namespaces compare equal")
	}
}
