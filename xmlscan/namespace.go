package xmlscan

import "bytes"

// XMLNamespace is the namespace bound to the reserved prefix xml (as in xml:lang).
const XMLNamespace = "http://www.w3.org/XML/1998/namespace"

// LookupPrefix resolves a namespace prefix in the element's scope: the xmlns:prefix
// declaration on the element or on its nearest ancestor that has one, or for an empty prefix
// the default namespace (xmlns=, "" if none is declared). The result is the declaration's raw
// value (still escaped); ok is false for an unbound prefix.
//
// The default namespace costs a scan of the element's own attributes; a prefix not declared
// on the element itself costs a walk down from the root (prefixes are rare in stanzas).
func (e *Element) LookupPrefix(prefix []byte) (ns []byte, ok bool) {
	if string(prefix) == "xml" {
		return []byte(XMLNamespace), true
	}
	if e.doc == nil {
		return nil, len(prefix) == 0
	}
	if v, found, bound := declaration(e.doc[:e.attrEnd], e.nameEnd, prefix); found {
		return v, bound
	}
	if len(prefix) == 0 {
		return e.doc[e.nsStart:e.nsEnd:e.nsEnd], true
	}
	return e.lookupInAncestors(prefix)
}

// declaration looks for the declaration of prefix among the attributes in doc from pos.
// bound is false for xmlns:p=”, which does not bind p.
func declaration(doc []byte, pos int, prefix []byte) (v []byte, found, bound bool) {
	for it := (Attrs{doc: doc, pos: pos}); it.Next(); {
		if a := it.Attr(); declares(a.Name, prefix) {
			return a.Value, true, len(prefix) == 0 || len(a.Value) > 0
		}
	}
	return nil, false, false
}

// lookupInAncestors resolves prefix on the ancestors of e by walking down from the root to e,
// keeping the last declaration met.
func (e *Element) lookupInAncestors(prefix []byte) (ns []byte, ok bool) {
	pos, err := skipMisc(e.doc, 0)
	for err == nil && pos < e.start {
		var t tag
		terr := scanTag(e.doc, pos, false, &t, nil)
		if terr != nil || t.kind != kindStart {
			return nil, false
		}
		if v, found, bound := declaration(e.doc[:t.attrEnd], t.nameEnd, prefix); found {
			ns, ok = v, bound
		}
		pos, err = childContaining(e.doc, t.end, e.start)
	}
	if pos != e.start {
		return nil, false
	}
	return ns, ok
}

// childContaining returns the start of the child element, among the ones whose content starts
// at pos, that contains offset target.
func childContaining(doc []byte, pos, target int) (int, error) {
	for {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 {
			return 0, errAt(len(doc), "element not closed")
		}
		i := pos + k
		var t tag
		if err := scanTag(doc, i, false, &t, nil); err != nil {
			return 0, err
		}
		end := t.end
		switch t.kind {
		case kindStart:
			var err error
			if _, end, err = skipContent(doc, t.end); err != nil {
				return 0, err
			}
		case kindEnd:
			return 0, errAt(i, "no child contains the offset")
		}
		if (t.kind == kindStart || t.kind == kindEmpty) && i <= target && target < end {
			return i, nil
		}
		pos = end
	}
}

// declares reports whether an attribute named name declares prefix (xmlns:prefix, or xmlns
// for the empty prefix).
func declares(name, prefix []byte) bool {
	if len(prefix) == 0 {
		return string(name) == "xmlns"
	}
	return len(name) == 6+len(prefix) && string(name[:6]) == "xmlns:" && bytes.Equal(name[6:], prefix)
}

// Namespace returns the namespace of the element's name, unescaped. It fails for an unbound
// prefix.
func (e *Element) Namespace() ([]byte, error) {
	raw, ok := e.LookupPrefix(e.Prefix())
	if !ok {
		return nil, errAt(e.start, "unbound namespace prefix "+string(e.Prefix()))
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return raw, nil
	}
	return UnescapeAttr(nil, raw)
}

// Is reports whether the element's local name is local and its namespace is ns.
func (e *Element) Is(ns, local string) bool {
	if e.doc == nil || string(e.Local()) != local {
		return false
	}
	raw, ok := e.LookupPrefix(e.Prefix())
	if !ok {
		return false
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw) == ns
	}
	v, err := UnescapeAttr(nil, raw)
	return err == nil && string(v) == ns
}
