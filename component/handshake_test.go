package component

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/xmlstream"
)

const serverHeader = `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='amp.localhost' id='abc'>`

func TestHandshakeDigest(t *testing.T) {
	// Computed independently: printf 'abcsecret' | sha1sum
	if got := handshakeDigest("abc", "secret"); got != "de0a408ef519cd62e7379039634152874895c50c" {
		t.Errorf("digest %s", got)
	}
}

func TestHandshake(t *testing.T) {
	tests := [...]struct {
		server  string // everything the server sends
		wantErr error  // nil, or matched with errors.Is / errors.As kind
		kind    string // "protocol" for a *ProtocolError
	}{
		0:  {server: serverHeader + "<handshake/>"},
		1:  {server: serverHeader + "<handshake></handshake>"},
		2:  {server: serverHeader + "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", wantErr: ErrNotAuthorized},
		3:  {server: serverHeader + "<stream:error><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no</text><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", wantErr: &StreamError{Condition: "conflict"}},
		4:  {server: strings.Replace(serverHeader, "jabber:component:accept", "jabber:client", 1), kind: "protocol"},
		5:  {server: strings.Replace(serverHeader, "id='abc'", "", 1) + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", wantErr: &StreamError{Condition: "host-unknown"}},
		6:  {server: strings.Replace(serverHeader, "id='abc'", "", 1), kind: "protocol"},
		7:  {server: serverHeader + "<message/>", kind: "protocol"},
		8:  {server: serverHeader, wantErr: io.ErrUnexpectedEOF},
		9:  {server: "<stream:features/>", wantErr: xmlstream.ErrNotWellFormed},
		10: {server: "<other xmlns:stream='http://etherx.jabber.org/streams'>", kind: "protocol"},
		11: {server: serverHeader + "<!-- x -->", wantErr: xmlstream.ErrRestrictedXML},
		12: {server: serverHeader + "<handshake>" + strings.Repeat("x", 2000) + "</handshake>", kind: "protocol"},
	}
	for i, tc := range tests {
		var sent bytes.Buffer
		err := handshake(xmlstream.NewSplitter(strings.NewReader(tc.server), 1000), &sent, "amp.localhost", "secret")
		var pe *ProtocolError
		switch {
		case tc.kind == "protocol":
			if !errors.As(err, &pe) {
				t.Errorf("%d: err %v, want a protocol error", i, err)
			}
		case tc.wantErr == nil && err != nil, tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%d: err %v, want %v", i, err, tc.wantErr)
		}
		wantSent := "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='amp.localhost'>"
		if !strings.HasPrefix(sent.String(), wantSent) {
			t.Errorf("%d: sent %q", i, sent.String())
		}
		if err == nil && !strings.HasSuffix(sent.String(), "<handshake>"+handshakeDigest("abc", "secret")+"</handshake>") {
			t.Errorf("%d: sent %q", i, sent.String())
		}
	}
}

func TestParseStreamError(t *testing.T) {
	tests := map[string]StreamError{
		"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>":                                                                                    {Condition: "conflict"},
		"<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>bye</text><app xmlns='x'/></stream:error>": {Condition: "system-shutdown", Text: "bye"},
		"<stream:error><conflict/></stream:error>":      {Condition: "undefined-condition"},
		"<stream:error><conflict xmlns='urn:ietf:param": {Condition: "undefined-condition"},
	}
	for in, want := range tests {
		if got := parseStreamError([]byte(in)); *got != want {
			t.Errorf("parseStreamError(%q) = %+v, want %+v", in, *got, want)
		}
	}
}

func TestOpenStreamEscapesDomain(t *testing.T) {
	if got := openStream("a'b&c"); !strings.HasSuffix(got, "to='a&apos;b&amp;c'>") {
		t.Errorf("openStream = %q", got)
	}
}

// FuzzHandshakeStream feeds arbitrary server bytes to the handshake: it must
// never panic, and must succeed only on a stream that has a valid header and
// a <handshake> reply.
func FuzzHandshakeStream(f *testing.F) {
	f.Add(serverHeader + "<handshake/>")
	f.Add(serverHeader + "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>")
	f.Add(strings.Replace(serverHeader, "id='abc'", "", 1) + "<stream:error><text/></stream:error>")
	f.Add("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id=\"&amp;\"><handshake></handshake>")
	f.Fuzz(func(t *testing.T, server string) {
		err := handshake(xmlstream.NewSplitter(strings.NewReader(server), 512), io.Discard, "amp.localhost", "secret")
		if err == nil && !strings.Contains(server, "<handshake") {
			t.Fatalf("handshake succeeded on %q", server)
		}
		var se *StreamError
		if errors.As(err, &se) && se.Condition == "" {
			t.Fatalf("stream error without condition from %q", server)
		}
	})
}
