package xmlstream

// Name returns the qualified name of the first element in stanza, e.g.
// "message" or "stream:error", as a subslice of stanza (no copy). It returns
// nil when stanza does not start with a start tag.
func Name(stanza []byte) []byte {
	if len(stanza) < 2 || stanza[0] != '<' || !isNameStart(stanza[1]) {
		return nil
	}
	end := 1
	for end < len(stanza) && nameByte[stanza[end]] {
		end++
	}
	return stanza[1:end]
}
