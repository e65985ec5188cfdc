package doctor

import (
	"bufio"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// The client's namespaces (RFC 6120).
const (
	nsClient  = "jabber:client"
	nsStreams = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession = "urn:ietf:params:xml:ns:xmpp-session"
)

// node is one element as the probe reads it: enough of XML for stream features, SASL and the
// few stanzas it checks.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// child returns the first child with the namespace and local name, or nil.
func (n *node) child(space, local string) *node {
	for i := range n.Nodes {
		if c := &n.Nodes[i]; c.XMLName.Space == space && c.XMLName.Local == local {
			return c
		}
	}
	return nil
}

// condition names the first child in the namespace of an error condition (stanza or stream
// error, SASL failure), "" when there is none.
func (n *node) condition(space string) string {
	for _, c := range n.Nodes {
		if c.XMLName.Space == space && c.XMLName.Local != "text" {
			return c.XMLName.Local
		}
	}
	return ""
}

// errAuth is the server's refusal of the credentials; condition is its SASL condition.
type errAuth struct{ condition string }

func (e errAuth) Error() string { return "SASL failure: " + e.condition }

// xmppClient is a minimal XMPP client (RFC 6120): STARTTLS, SASL SCRAM-SHA-1 or PLAIN,
// resource binding, and raw stanzas. It is doctor's own, not a general client: every step is
// one check of the probe.
type xmppClient struct {
	conn     net.Conn
	in       *bufio.Reader // conn's bytes: kept across stream restarts, which read on from it
	dec      *xml.Decoder
	domain   string
	features node
}

// open (re)starts the stream and reads the server's stream features.
func (c *xmppClient) open() error {
	if c.in == nil {
		c.in = bufio.NewReader(c.conn)
	}
	c.dec = xml.NewDecoder(c.in)
	if _, err := fmt.Fprintf(c.conn, "<?xml version='1.0'?><stream:stream xmlns='%s' xmlns:stream='%s' to='%s' version='1.0'>", nsClient, nsStreams, xmlEscape(c.domain)); err != nil {
		return err
	}
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return fmt.Errorf("reading the stream header: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != nsStreams || se.Name.Local != "stream" {
				return fmt.Errorf("not an XMPP stream: <%s xmlns='%s'>", se.Name.Local, se.Name.Space)
			}
			break
		}
	}
	f, err := c.read()
	if err != nil {
		return err
	}
	if f.XMLName.Space != nsStreams || f.XMLName.Local != "features" {
		return fmt.Errorf("expected the stream features, got <%s>", f.XMLName.Local)
	}
	c.features = f
	return nil
}

// read returns the next top-level element; a stream error is returned as an error.
func (c *xmppClient) read() (node, error) {
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return node{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var n node
			if err := c.dec.DecodeElement(&n, &t); err != nil {
				return node{}, err
			}
			if n.XMLName.Space == nsStreams && n.XMLName.Local == "error" {
				return node{}, fmt.Errorf("stream error: %s", n.condition("urn:ietf:params:xml:ns:xmpp-streams"))
			}
			return n, nil
		case xml.EndElement:
			return node{}, io.EOF // the server closed the stream
		}
	}
}

func (c *xmppClient) send(s string) error {
	_, err := io.WriteString(c.conn, s)
	return err
}

// offersTLS reports whether the features offer STARTTLS.
func (c *xmppClient) offersTLS() bool { return c.features.child(nsTLS, "starttls") != nil }

// startTLS upgrades the connection; verify false skips the certificate check, roots nil
// trusts the system's roots.
func (c *xmppClient) startTLS(verify bool, roots *x509.CertPool) error {
	if err := c.send("<starttls xmlns='" + nsTLS + "'/>"); err != nil {
		return err
	}
	n, err := c.read()
	if err != nil {
		return err
	}
	if n.XMLName.Local != "proceed" {
		return fmt.Errorf("the server answered STARTTLS with <%s/>", n.XMLName.Local)
	}
	if c.in.Buffered() > 0 {
		// Bytes after <proceed/> and before the handshake would bypass TLS.
		return errors.New("the server sent data after <proceed/> before the TLS handshake")
	}
	tc := tls.Client(c.conn, &tls.Config{ServerName: c.domain, InsecureSkipVerify: !verify, RootCAs: roots, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.conn, c.in = tc, bufio.NewReader(tc)
	return c.open()
}

// mechanisms lists the SASL mechanisms the server offers.
func (c *xmppClient) mechanisms() []string {
	var out []string
	if m := c.features.child(nsSASL, "mechanisms"); m != nil {
		for _, n := range m.Nodes {
			if n.XMLName.Local == "mechanism" {
				out = append(out, strings.TrimSpace(n.Text))
			}
		}
	}
	return out
}

// authenticate logs in with mechanism ("SCRAM-SHA-1" or "PLAIN") and restarts the stream.
func (c *xmppClient) authenticate(mechanism, user, password string) error {
	var err error
	switch mechanism {
	case "SCRAM-SHA-1":
		err = c.scramSHA1(user, password)
	case "PLAIN":
		err = c.plain(user, password)
	default:
		err = fmt.Errorf("mechanism %s is not implemented", mechanism)
	}
	if err != nil {
		return err
	}
	return c.open()
}

// saslStep reads the server's next SASL element: a challenge or success (its decoded data),
// or a failure as errAuth.
func (c *xmppClient) saslStep() (kind string, data []byte, err error) {
	n, err := c.read()
	if err != nil {
		return "", nil, err
	}
	if n.XMLName.Space != nsSASL {
		return "", nil, fmt.Errorf("unexpected <%s/> during SASL", n.XMLName.Local)
	}
	if n.XMLName.Local == "failure" {
		return "", nil, errAuth{condition: n.condition(nsSASL)}
	}
	text := strings.TrimSpace(n.Text)
	if text != "" && text != "=" {
		if data, err = base64.StdEncoding.DecodeString(text); err != nil {
			return "", nil, fmt.Errorf("bad base64 in <%s/>: %w", n.XMLName.Local, err)
		}
	}
	return n.XMLName.Local, data, nil
}

func (c *xmppClient) plain(user, password string) error {
	msg := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := c.send("<auth xmlns='" + nsSASL + "' mechanism='PLAIN'>" + msg + "</auth>"); err != nil {
		return err
	}
	kind, _, err := c.saslStep()
	if err != nil {
		return err
	}
	if kind != "success" {
		return fmt.Errorf("unexpected <%s/> after PLAIN", kind)
	}
	return nil
}

// maxSCRAMIterations bounds the work a server can ask of doctor (servers use 4096 to 10000).
const maxSCRAMIterations = 1 << 20

// scramSHA1 is RFC 5802 without channel binding.
func (c *xmppClient) scramSHA1(user, password string) error {
	nonce := make([]byte, 18)
	rand.Read(nonce)
	cnonce := base64.RawStdEncoding.EncodeToString(nonce)
	name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user)
	clientFirstBare := "n=" + name + ",r=" + cnonce
	if err := c.send("<auth xmlns='" + nsSASL + "' mechanism='SCRAM-SHA-1'>" + base64.StdEncoding.EncodeToString([]byte("n,,"+clientFirstBare)) + "</auth>"); err != nil {
		return err
	}
	kind, serverFirst, err := c.saslStep()
	if err != nil {
		return err
	}
	if kind != "challenge" {
		return fmt.Errorf("unexpected <%s/> after the SCRAM client-first message", kind)
	}
	fields := scramFields(string(serverFirst))
	salt, err := base64.StdEncoding.DecodeString(fields["s"])
	var iterations int
	if _, scanErr := fmt.Sscan(fields["i"], &iterations); err != nil || scanErr != nil || iterations <= 0 || iterations > maxSCRAMIterations || !strings.HasPrefix(fields["r"], cnonce) {
		return fmt.Errorf("malformed SCRAM server-first message %q", serverFirst)
	}
	clientFinal := "c=biws,r=" + fields["r"]
	proof, serverSignature, err := scramSHA1Proof(password, salt, iterations, clientFirstBare+","+string(serverFirst)+","+clientFinal)
	if err != nil {
		return err
	}
	final := clientFinal + ",p=" + proof
	if err := c.send("<response xmlns='" + nsSASL + "'>" + base64.StdEncoding.EncodeToString([]byte(final)) + "</response>"); err != nil {
		return err
	}
	kind, serverFinal, err := c.saslStep()
	if err != nil {
		return err
	}
	if kind == "challenge" { // the server-final message as a challenge, success follows
		if err := c.send("<response xmlns='" + nsSASL + "'/>"); err != nil {
			return err
		}
		if kind, _, err = c.saslStep(); err != nil {
			return err
		}
	}
	if kind != "success" {
		return fmt.Errorf("unexpected <%s/> after the SCRAM proof", kind)
	}
	if scramFields(string(serverFinal))["v"] != serverSignature {
		return errors.New("the server's SCRAM signature is wrong: this is not the server that holds the account")
	}
	return nil
}

// scramSHA1Proof computes the client proof and the expected server signature (both base64)
// of RFC 5802 §3 for authMessage.
func scramSHA1Proof(password string, salt []byte, iterations int, authMessage string) (proof, serverSignature string, err error) {
	salted, err := pbkdf2.Key(sha1.New, password, salt, iterations, sha1.Size)
	if err != nil {
		return "", "", err
	}
	clientKey := hmacSHA1(salted, "Client Key")
	storedKey := sha1.Sum(clientKey)
	p := hmacSHA1(storedKey[:], authMessage)
	for i := range p {
		p[i] ^= clientKey[i]
	}
	return base64.StdEncoding.EncodeToString(p), base64.StdEncoding.EncodeToString(hmacSHA1(hmacSHA1(salted, "Server Key"), authMessage)), nil
}

func scramFields(s string) map[string]string {
	m := map[string]string{}
	for f := range strings.SplitSeq(s, ",") {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

func hmacSHA1(key []byte, msg string) []byte {
	h := hmac.New(sha1.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// bind binds resource and returns the full JID the server assigned.
func (c *xmppClient) bind(resource string) (string, error) {
	if c.features.child(nsBind, "bind") == nil {
		return "", errors.New("the server offers no resource binding after authentication")
	}
	if err := c.send("<iq type='set' id='bind'><bind xmlns='" + nsBind + "'><resource>" + xmlEscape(resource) + "</resource></bind></iq>"); err != nil {
		return "", err
	}
	n, err := c.readIQ("bind")
	if err != nil {
		return "", err
	}
	b := n.child(nsBind, "bind")
	if b == nil || b.child(nsBind, "jid") == nil {
		return "", errors.New("the bind result carries no JID")
	}
	jid := strings.TrimSpace(b.child(nsBind, "jid").Text)
	// RFC 3921 sessions, for a server that still requires them.
	if s := c.features.child(nsSession, "session"); s != nil && s.child(nsSession, "optional") == nil {
		if err := c.send("<iq type='set' id='session'><session xmlns='" + nsSession + "'/></iq>"); err != nil {
			return "", err
		}
		if _, err := c.readIQ("session"); err != nil {
			return "", err
		}
	}
	return jid, nil
}

// readIQ reads until the answer to the iq with id, skipping other stanzas; an error answer
// is returned as an error naming its condition.
func (c *xmppClient) readIQ(id string) (node, error) {
	for {
		n, err := c.read()
		if err != nil {
			return node{}, err
		}
		if n.XMLName.Local != "iq" || n.attr("id") != id {
			continue
		}
		if n.attr("type") == "error" {
			cond := "undefined-condition"
			if e := n.child(nsClient, "error"); e != nil {
				cond = e.condition("urn:ietf:params:xml:ns:xmpp-stanzas")
			}
			return node{}, fmt.Errorf("error answer: %s", cond)
		}
		return n, nil
	}
}

func (c *xmppClient) close() {
	_ = c.send("</stream:stream>")
	c.conn.Close()
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
