package doctor

import (
	"bytes"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The example exchange of RFC 5802 §5.
func TestSCRAMSHA1Proof(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("QSXCR+Q6sek8bf92")
	auth := "n=user,r=fyko+d2lbbFgONRv9qkxdawL," +
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096," +
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
	proof, server, err := scramSHA1Proof("pencil", salt, 4096, auth)
	if err != nil {
		t.Fatal(err)
	}
	if proof != "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=" || server != "rmF9pqV8S7suAoZWja4dJRkFsKQ=" {
		t.Errorf("proof %s, server signature %s; want RFC 5802's v0X8v3Bz2T0CJGbJQyF0X+HI4Ts= and rmF9pqV8S7suAoZWja4dJRkFsKQ=", proof, server)
	}
}

// scripted is a server that says the given bytes, whatever the client writes.
type scripted struct{ r io.Reader }

func (s scripted) Read(p []byte) (int, error)     { return s.r.Read(p) }
func (scripted) Write(p []byte) (int, error)      { return len(p), nil }
func (scripted) Close() error                     { return nil }
func (scripted) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (scripted) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (scripted) SetDeadline(time.Time) error      { return nil }
func (scripted) SetReadDeadline(time.Time) error  { return nil }
func (scripted) SetWriteDeadline(time.Time) error { return nil }

// converse runs the client's login against a server that says input: it must end with an
// error or a login, never a panic or a hang.
func converse(input []byte) error {
	c := &xmppClient{conn: scripted{bytes.NewReader(input)}, domain: "localhost"}
	if err := c.open(); err != nil {
		return err
	}
	for _, m := range c.mechanisms() {
		if m == "PLAIN" || m == "SCRAM-SHA-1" {
			if err := c.authenticate(m, "probe", "pw"); err != nil {
				return err
			}
			break
		}
	}
	if _, err := c.bind("r"); err != nil {
		return err
	}
	_, err := c.readIQ("disco")
	return err
}

const streamHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='1' version='1.0'>"

func TestClientConversation(t *testing.T) {
	tests := []struct {
		name, server, wantErr string
	}{
		{"PLAIN login and bind",
			streamHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
				"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" +
				streamHeader + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>" +
				"<iq type='result' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>probe@localhost/r</jid></bind></iq>" +
				"<iq type='result' id='disco'/>", ""},
		{"refused password",
			streamHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
				"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>", "SASL failure: not-authorized"},
		{"stream error",
			streamHeader + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", "stream error: host-unknown"},
		{"not XMPP", "<html><body>hello</body></html>", "not an XMPP stream"},
		{"SCRAM with a foreign nonce",
			streamHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>" +
				"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64.StdEncoding.EncodeToString([]byte("r=other,s=QSXCR+Q6sek8bf92,i=4096")) + "</challenge>", "malformed SCRAM"},
		{"bind refused",
			streamHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
				"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" +
				streamHeader + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>" +
				"<iq type='error' id='bind'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", "error answer: conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := converse([]byte(tt.server))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

// What a server says to the probe is network input: the client must never panic on it.
func FuzzClientConversation(f *testing.F) {
	f.Add([]byte(streamHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"))
	f.Add([]byte(streamHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features><challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj1hYmMscz1RU1hDUitRNnNlazhiZjkyLGk9MQ==</challenge>"))
	f.Add([]byte(streamHeader + "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"))
	f.Fuzz(func(t *testing.T, input []byte) {
		_ = converse(input)
	})
}
