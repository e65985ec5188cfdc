package xmlscan

import (
	"fmt"
	"reflect"
	"testing"
)

// event is what a Scanner reports, in a comparable form.
type event struct {
	Start bool
	Depth int
	Name  string
	NS    string
	Raw   string // at an end, the whole element
}

func scanEvents(t testing.TB, doc string) ([]event, error) {
	var s Scanner
	s.Reset([]byte(doc))
	var evs []event
	for s.Next() {
		ev := event{Start: s.IsStart(), Depth: s.Depth(), Name: string(s.Name())}
		prefix, _ := splitName(s.Name())
		if ns, ok := s.LookupPrefix(prefix); ok {
			ev.NS = string(ns)
		} else {
			ev.NS = "!unbound"
		}
		if !s.IsStart() {
			e := s.Element()
			ev.Raw = string(e.Raw())
		}
		evs = append(evs, ev)
	}
	return evs, s.Err()
}

func TestScanner(t *testing.T) {
	doc := `<m xmlns='jabber:client' xmlns:a='urn:a'><b>x</b><a:amp><rule/><a:rule xmlns:a='urn:b'/></a:amp><c xmlns='urn:c'><d/></c></m>`
	want := []event{
		{true, 1, "m", "jabber:client", ""},
		{true, 2, "b", "jabber:client", ""},
		{false, 2, "b", "jabber:client", "<b>x</b>"},
		{true, 2, "a:amp", "urn:a", ""},
		{true, 3, "rule", "jabber:client", ""},
		{false, 3, "rule", "jabber:client", "<rule/>"},
		{true, 3, "a:rule", "urn:b", ""},
		{false, 3, "a:rule", "urn:b", "<a:rule xmlns:a='urn:b'/>"}, // an end answers for the element that ends
		{false, 2, "a:amp", "urn:a", "<a:amp><rule/><a:rule xmlns:a='urn:b'/></a:amp>"},
		{true, 2, "c", "urn:c", ""},
		{true, 3, "d", "urn:c", ""},
		{false, 3, "d", "urn:c", "<d/>"},
		{false, 2, "c", "urn:c", "<c xmlns='urn:c'><d/></c>"},
		{false, 1, "m", "jabber:client", doc},
	}
	got, err := scanEvents(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w event
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("%d: got %+v, want %+v", i, g, w)
			}
		}
	}
}

func TestScannerDeep(t *testing.T) {
	doc := ""
	for i := range 40 {
		doc += fmt.Sprintf("<e%d xmlns:p%d='urn:%d'>", i, i, i)
	}
	doc += "<p3:x/>"
	for i := 39; i >= 0; i-- {
		doc += fmt.Sprintf("</e%d>", i)
	}
	evs, err := scanEvents(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	x := evs[40]
	if x.Name != "p3:x" || x.NS != "urn:3" || x.Depth != 41 {
		t.Errorf("deep element: %+v", x)
	}
	if len(evs) != 82 {
		t.Errorf("%d events, want 82", len(evs))
	}
}

func TestScannerStopsAtError(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`<a><b></a>`))
	n := 0
	for s.Next() {
		n++
	}
	if n != 2 || s.Err() == nil || s.Next() {
		t.Errorf("events %d, err %v", n, s.Err())
	}
}
