package xmlscan

import "strconv"

// SyntaxError reports malformed input and where it was found.
type SyntaxError struct {
	Offset int    // byte offset in the document
	Msg    string // what is wrong
}

func (e *SyntaxError) Error() string {
	return "xmlscan: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

func errAt(offset int, msg string) error {
	return &SyntaxError{Offset: offset, Msg: msg}
}
