package xmlscan

import "testing"

func TestAttrValue(t *testing.T) {
	root, err := Parse([]byte(`<m a='plain' b="x &amp; y" c='' xml:lang='de'/>`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": "plain", "b": "x & y", "c": "", "xml:lang": "de", "missing": ""} {
		if got := root.AttrValue(name); got != want {
			t.Errorf("AttrValue(%q) = %q, want %q", name, got, want)
		}
	}
}
