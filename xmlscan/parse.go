package xmlscan

// Parse checks that doc is one well-formed element, optionally surrounded by white space and
// comments, and returns a view of it. Errors are *SyntaxError.
func Parse(doc []byte) (Element, error) {
	var s Scanner
	s.Reset(doc)
	var root Element
	for s.Next() {
		if !s.IsStart() && s.Depth() == 1 {
			root = s.Element()
		}
	}
	if s.Err() != nil {
		return Element{}, s.Err()
	}
	return root, nil
}

// skipMisc skips white space and comments from i and returns the offset of the next markup,
// or len(doc).
func skipMisc(doc []byte, i int) (int, error) {
	for {
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return i, nil
		}
		if doc[i] != '<' {
			return i, errAt(i, "text outside the root element")
		}
		if !hasPrefixAt(doc, i, "<!--") {
			return i, nil
		}
		var t tag
		if err := scanTag(doc, i, true, &t, nil); err != nil {
			return i, err
		}
		i = t.end
	}
}
