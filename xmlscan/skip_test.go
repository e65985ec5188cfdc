package xmlscan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// token is one Scanner report with the element's range at an end.
type token struct {
	Start          bool
	Depth          int
	Start0, End    int // the element's range; at a start only Start0
	Inner0, Inner1 int // at an end, the element's inner range
}

// scanTokens runs a Scanner over doc, calling Skip at the start number skipAt (counted from
// 0 in document order; -1: never). It returns the tokens reported and the error that ended
// the scan, with whether Skip was called and succeeded.
func scanTokens(doc []byte, skipAt int) (toks []token, skipped bool, err error) {
	var s Scanner
	s.Reset(doc)
	starts := 0
	for s.Next() {
		if s.IsStart() {
			toks = append(toks, token{Start: true, Depth: s.Depth(), Start0: s.Offset()})
			starts++
			if starts-1 != skipAt {
				continue
			}
			if !s.Skip() {
				break
			}
			skipped = true
		}
		e := s.Element()
		b, end := e.Range()
		ib, ie := e.InnerRange()
		toks = append(toks, token{Depth: s.Depth(), Start0: b, End: end, Inner0: ib, Inner1: ie})
	}
	return toks, skipped, s.Err()
}

// checkSkip checks Skip at every element start of doc against a full scan: on a well-formed
// document it must report exactly what the full scan reports minus the descendants; on any
// document, when Skip succeeds and the skipped bytes parse on their own, the full scan must
// reach the same end.
func checkSkip(t interface{ Fatalf(string, ...any) }, doc []byte) {
	full, _, fullErr := scanTokens(doc, -1)
	for k := 0; ; k++ {
		// Where is the k-th start in the full scan, and its end?
		at, starts := -1, 0
		for i, tok := range full {
			if tok.Start {
				if starts == k {
					at = i
					break
				}
				starts++
			}
		}
		if at < 0 {
			return
		}
		endAt := -1
		for i := at + 1; i < len(full); i++ {
			if !full[i].Start && full[i].Depth == full[at].Depth {
				endAt = i
				break
			}
		}
		got, skipped, err := scanTokens(doc, k)
		if fullErr == nil {
			want := append(append([]token(nil), full[:at+1]...), full[endAt:]...)
			if err != nil || !skipped || !reflect.DeepEqual(got, want) {
				t.Fatalf("Skip at start %d of %q: %v (skipped %v)\n got %v\nwant %v", k, doc, err, skipped, got, want)
			}
			continue
		}
		if !skipped {
			continue
		}
		end := got[at+1]
		if end.Start || end.Start0 != full[at].Start0 || end.End <= end.Start0 || end.End > len(doc) {
			t.Fatalf("Skip at start %d of %q reports %+v", k, doc, end)
		}
		if _, perr := Parse(doc[end.Start0:end.End]); perr != nil {
			continue // the caller's full parse refuses it
		}
		if endAt < 0 || full[endAt] != end {
			t.Fatalf("Skip at start %d of %q ends at %+v, and its bytes parse, but the full scan (%v) does not end there: %v",
				k, doc, end, fullErr, full)
		}
	}
}

func TestSkip(t *testing.T) {
	tests := []struct {
		doc  string
		at   int    // which start to skip
		raw  string // the skipped element
		next string // the name of the next token after the skip, "" if none
	}{
		0: {`<a><b/><c/></a>`, 1, `<b/>`, "c"},
		1: {`<a><b x='1'><c><d/></c>t</b><e/></a>`, 1, `<b x='1'><c><d/></c>t</b>`, "e"},
		2: {`<a><b><![CDATA[</b><c>]]></b><e/></a>`, 1, `<b><![CDATA[</b><c>]]></b>`, "e"},
		3: {`<a><b><!-- </b> <c> --></b></a>`, 1, `<b><!-- </b> <c> --></b>`, "a"},
		4: {`<a><b t='</b>' u="<c>"/></a>`, 1, `<b t='</b>' u="<c>"/>`, "a"},
		5: {`<a><b t='>' u=">"></b></a>`, 1, `<b t='>' u=">"></b>`, "a"},
		6: {`<a><b><b><b/></b></b ></a>`, 1, `<b><b><b/></b></b >`, "a"},
		7: {` <a><x/></a> <!-- c -->`, 0, `<a><x/></a>`, ""},
		8: {`<p:a xmlns:p='u'><p:b><q/></p:b></p:a>`, 0, `<p:a xmlns:p='u'><p:b><q/></p:b></p:a>`, ""},
	}
	for i, tc := range tests {
		var s Scanner
		s.Reset([]byte(tc.doc))
		for n := 0; s.Next(); {
			if !s.IsStart() {
				continue
			}
			if n++; n-1 < tc.at {
				continue
			}
			depth := s.Depth()
			if !s.Skip() {
				t.Fatalf("%d: Skip: %v", i, s.Err())
			}
			e := s.Element()
			if s.IsStart() || s.Depth() != depth || string(e.Raw()) != tc.raw {
				t.Errorf("%d: after Skip: start %v depth %d (want %d) raw %q, want %q", i, s.IsStart(), s.Depth(), depth, e.Raw(), tc.raw)
			}
			next := ""
			if s.Next() {
				next = string(s.Name())
			}
			for s.Next() {
			}
			if next != tc.next || s.Err() != nil {
				t.Errorf("%d: next token %q (%v), want %q", i, next, s.Err(), tc.next)
			}
			break
		}
	}
}

// Skip's reduced checks: what it still refuses, and what it leaves to the later full parse.
func TestSkipChecks(t *testing.T) {
	tests := []struct {
		inner   string // the content of <b>, skipped within <a><b>…</b></a>
		wantErr string // "" : Skip accepts it (Parse of the whole document must not)
	}{
		0:  {`<c><c>`, "element not closed"},
		1:  {`</c>`, "does not match <b>"},
		2:  {`<!-- </b>`, "unterminated comment"},
		3:  {`<![CDATA[ </b>`, "unterminated CDATA"},
		4:  {`<c x='</b>`, "unterminated attribute value"},
		5:  {`1 < 2`, "expected an element name"},
		6:  {`<?pi?>`, "processing instructions"},
		7:  {`<!DOCTYPE x>`, "markup declarations"},
		8:  {`&bogus;`, ""},
		9:  {`<c x=1/>`, ""},
		10: {`<c x='1' x='2'/>`, ""},
		11: {`<c></d>`, ""},
		12: {`<!-- a -- b -->`, ""},
		13: {`<c x='<'/>`, ""},
	}
	for i, tc := range tests {
		doc := []byte(`<a><b>` + tc.inner + `</b></a>`)
		var s Scanner
		s.Reset(doc)
		s.Next()
		s.Next()
		ok := s.Skip()
		if tc.wantErr != "" {
			if ok || s.Err() == nil || !strings.Contains(s.Err().Error(), tc.wantErr) {
				t.Errorf("%d: Skip over %q = %v, %v; want an error containing %q", i, tc.inner, ok, s.Err(), tc.wantErr)
			}
			var se *SyntaxError
			if !errors.As(s.Err(), &se) || se.Offset < 0 || se.Offset > len(doc) {
				t.Errorf("%d: error %v is not a *SyntaxError within the document", i, s.Err())
			}
			continue
		}
		if !ok {
			t.Errorf("%d: Skip over %q: %v", i, tc.inner, s.Err())
			continue
		}
		e := s.Element()
		if _, err := Parse(e.Raw()); err == nil {
			t.Errorf("%d: %q parses: the test does not show a check left to the full parse", i, e.Raw())
		}
	}
}

func TestSkipNotAtStart(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`<a><b/></a>`))
	if s.Skip() || !errors.Is(s.Err(), ErrSkipNotAtStart) {
		t.Errorf("Skip before Next = %v", s.Err())
	}
	s.Reset([]byte(`<a><b/></a>`))
	s.Next()
	s.Next()
	s.Next() // </b>
	if s.Skip() || !errors.Is(s.Err(), ErrSkipNotAtStart) {
		t.Errorf("Skip at an end = %v", s.Err())
	}
	if s.Next() {
		t.Errorf("Next goes on after a failed Skip")
	}
}

func TestSkipTable(t *testing.T) {
	for _, doc := range []string{
		`<a/>`,
		`<a><b><c/></b><d>x</d></a>`,
		`<m xmlns='jabber:client'><body>a &amp; b</body><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='stored'/></amp></m>`,
		`<a><b><!-- <c> --><![CDATA[</b>]]></b></a>`,
		`<a><b></c></b></a>`,
		`<a><b>&bogus;</b></a>`,
		`<a><b><c x='1' x='2'/></b></a>`,
		`<a><b></b>`,
		`<a><b/></a>junk`,
	} {
		checkSkip(t, []byte(doc))
	}
}

// TestSkipProperty: on any well-formed element, Skip ends exactly where a full scan ends,
// and the scan goes on as it would have.
func TestSkipProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b strings.Builder
		write(t, &b, genNode(3).Draw(t, "tree"))
		doc := []byte(b.String())
		if _, err := Parse(doc); err != nil {
			t.Fatalf("generated document does not parse: %v", err)
		}
		checkSkip(t, doc)
	})
}
