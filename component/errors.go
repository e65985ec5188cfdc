package component

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
)

// NSStreams is the namespace of stream error conditions (RFC 6120).
const NSStreams = "urn:ietf:params:xml:ns:xmpp-streams"

// ErrQueueFull is returned by Send when accepting the stanza would exceed
// Config.MaxQueued.
var ErrQueueFull = errors.New("component: outbound queue full")

// ErrNotAuthorized matches (errors.Is) the stream error a server sends when
// the handshake is wrong, i.e. the secret does not match.
var ErrNotAuthorized = &StreamError{Condition: "not-authorized"}

// StreamError is a <stream:error/> received from the server.
type StreamError struct {
	Condition string // the defined condition, e.g. "not-authorized", "conflict"
	Text      string // the optional human-readable text
}

func (e *StreamError) Error() string {
	if e.Text == "" {
		return "component: stream error from server: " + e.Condition
	}
	return fmt.Sprintf("component: stream error from server: %s (%s)", e.Condition, e.Text)
}

// Is matches any *StreamError with the same condition, so that
// errors.Is(err, ErrNotAuthorized) works.
func (e *StreamError) Is(target error) bool {
	t, ok := target.(*StreamError)
	return ok && t.Condition == e.Condition
}

// ProtocolError reports a server that does not follow XEP-0114.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "component: protocol error: " + e.Msg }

// parseStreamError decodes a <stream:error> element. A malformed one yields
// the condition "undefined-condition" rather than an error: the stream is
// over either way.
func parseStreamError(raw []byte) *StreamError {
	var el struct {
		Children []struct {
			XMLName xml.Name
			Text    string `xml:",chardata"`
		} `xml:",any"`
	}
	se := &StreamError{Condition: "undefined-condition"}
	if err := xml.NewDecoder(bytes.NewReader(raw)).Decode(&el); err != nil {
		return se
	}
	found := false
	for _, c := range el.Children {
		switch {
		case c.XMLName.Space != NSStreams:
		case c.XMLName.Local == "text":
			se.Text = c.Text
		case !found:
			se.Condition, found = c.XMLName.Local, true
		}
	}
	return se
}
