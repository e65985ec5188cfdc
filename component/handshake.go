package component

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

// NS is the namespace of the component stream (XEP-0114).
const NS = "jabber:component:accept"

const nsStream = "http://etherx.jabber.org/streams"

// streamClose ends our side of the stream.
const streamClose = "</stream:stream>"

// openStream returns the stream header the component sends.
func openStream(domain string) string {
	return "<stream:stream xmlns='" + NS + "' xmlns:stream='" + nsStream + "' to='" + attrEscaper.Replace(domain) + "'>"
}

// attrEscaper escapes a value for an attribute in single quotes.
var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", "'", "&apos;", "\"", "&quot;")

// handshakeDigest is the XEP-0114 handshake value: hex(SHA-1(id + secret)).
func handshakeDigest(streamID, secret string) string {
	sum := sha1.Sum([]byte(streamID + secret))
	return hex.EncodeToString(sum[:])
}

// handshake runs the XEP-0114 exchange after the TCP connect: send our
// header, read the server's, send the digest, expect <handshake/>. Stream
// errors come back as *StreamError, anything unexpected as *ProtocolError.
func handshake(sp *xmlstream.Splitter, w io.Writer, domain, secret string) error {
	if _, err := io.WriteString(w, openStream(domain)); err != nil {
		return fmt.Errorf("component: sending stream header: %w", err)
	}
	hdr, err := sp.Header()
	if err != nil {
		return fmt.Errorf("component: reading stream header: %w", err)
	}
	switch {
	case hdr.Name != "stream:stream" || hdr.Get("xmlns:stream") != nsStream:
		return &ProtocolError{Msg: "server header is not a stream:stream"}
	case hdr.NS() != NS:
		return &ProtocolError{Msg: fmt.Sprintf("server stream namespace is %q, want %q", hdr.NS(), NS)}
	}
	if hdr.ID() == "" {
		// The server may still send an error (e.g. host-unknown) before
		// the handshake; prefer reporting it.
		if el, err := sp.Next(); err == nil && string(xmlstream.Name(el)) == "stream:error" {
			return parseStreamError(el)
		}
		return &ProtocolError{Msg: "server stream header has no id"}
	}
	if _, err := io.WriteString(w, "<handshake>"+handshakeDigest(hdr.ID(), secret)+"</handshake>"); err != nil {
		return fmt.Errorf("component: sending handshake: %w", err)
	}
	el, err := sp.Next()
	var tooLarge *xmlstream.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return &ProtocolError{Msg: "oversized <" + tooLarge.Name + "/> instead of <handshake/>"}
	case err != nil:
		return fmt.Errorf("component: waiting for handshake reply: %w", err)
	}
	switch string(xmlstream.Name(el)) {
	case "handshake":
		return nil
	case "stream:error":
		return parseStreamError(el)
	}
	return &ProtocolError{Msg: fmt.Sprintf("unexpected <%s/> instead of <handshake/>", xmlstream.Name(el))}
}
