package xmlscan

import "bytes"

// Parse checks that doc is one well-formed element, optionally surrounded by white space and
// comments, and returns a view of it. Errors are *SyntaxError.
func Parse(doc []byte) (Element, error) {
	i, err := skipMisc(doc, 0)
	if err != nil {
		return Element{}, err
	}
	if i >= len(doc) {
		return Element{}, errAt(i, "no root element")
	}
	t, err := scanTag(doc, i, true)
	if err != nil {
		return Element{}, err
	}
	if t.kind != kindStart && t.kind != kindEmpty {
		return Element{}, errAt(i, "expected the root element's start tag")
	}
	root := Element{doc: doc, start: i, nameEnd: t.nameEnd, attrEnd: t.attrEnd,
		innerStart: t.end, innerEnd: t.end, end: t.end}
	if t.kind == kindStart {
		if root.innerEnd, root.end, err = checkContent(doc, t); err != nil {
			return Element{}, err
		}
	}
	rest, err := skipMisc(doc, root.end)
	if err != nil {
		return Element{}, err
	}
	if rest < len(doc) {
		return Element{}, errAt(rest, "content after the root element")
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
		t, err := scanTag(doc, i, true)
		if err != nil {
			return i, err
		}
		i = t.end
	}
}

// checkContent checks the content of the element whose start tag is open and returns the
// offsets of its end tag and of the end of the element.
func checkContent(doc []byte, open tag) (innerEnd, end int, err error) {
	// Open elements' name spans; deep nesting spills to the heap.
	var buf [16][2]int
	stack := append(buf[:0], [2]int{open.nameStart, open.nameEnd})
	pos := open.end
	for {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 {
			return 0, 0, errAt(len(doc), "unexpected end of input: element not closed")
		}
		if err := checkRefs(doc[pos:pos+k], pos); err != nil {
			return 0, 0, err
		}
		i := pos + k
		t, err := scanTag(doc, i, true)
		if err != nil {
			return 0, 0, err
		}
		pos = t.end
		switch t.kind {
		case kindStart:
			stack = append(stack, [2]int{t.nameStart, t.nameEnd})
		case kindEnd:
			top := stack[len(stack)-1]
			if !bytes.Equal(doc[top[0]:top[1]], doc[t.nameStart:t.nameEnd]) {
				return 0, 0, errAt(i, "end tag </"+string(doc[t.nameStart:t.nameEnd])+
					"> does not match <"+string(doc[top[0]:top[1]])+">")
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return i, t.end, nil
			}
		}
	}
}
