package xmlscan

import "bytes"

// Text returns the element's text content: the character data of the element and all its
// descendants, CDATA sections included, with references replaced.
func (e *Element) Text() (string, error) {
	b, err := e.AppendText(nil)
	return string(b), err
}

// AppendText appends the element's text content (see Text) to dst.
func (e *Element) AppendText(dst []byte) ([]byte, error) {
	if e.doc == nil {
		return dst, nil
	}
	doc := e.doc[:e.innerEnd]
	pos := e.innerStart
	for pos < len(doc) {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 {
			k = len(doc) - pos
		}
		var err error
		if dst, err = unescape(dst, doc[pos:pos+k], false); err != nil {
			return dst, err
		}
		pos += k
		if pos == len(doc) {
			break
		}
		var t tag
		if err := scanTag(doc, pos, false, &t, nil); err != nil {
			return dst, err
		}
		if t.kind == kindCDATA {
			dst, _ = unescapeCDATA(dst, doc[t.nameStart:t.nameEnd])
		}
		pos = t.end
	}
	return dst, nil
}

// unescapeCDATA appends a CDATA section's content with line ends normalized.
func unescapeCDATA(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' {
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			c = '\n'
		}
		dst = append(dst, c)
	}
	return dst, nil
}
