package prosodytest

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

// innerMessage reads the parts of a diverted inner message that need escaping.
type innerMessage struct {
	XMLName xml.Name `xml:"jabber:client message"`
	Thread  string   `xml:"thread"`
	Body    string   `xml:"body"`
	Ext     struct {
		XMLName xml.Name `xml:"urn:example:ext x"`
		K       string   `xml:"k,attr"`
		Text    string   `xml:",chardata"`
	}
}

// mod_ampd serialises the divert itself and the retained stanza in place (no copy, xmlns set
// for the moment): text and attributes that need escaping arrive intact, the inner message is
// in jabber:client, and the message delivered afterwards is the original one, without the
// jabber:client namespace it wore while being diverted.
func TestDivertSerialisesInPlace(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")

	const (
		body   = `a < b & 'c' "d" > e ]]>`
		thread = `t&'1'`
		extK   = `v&w"'<`
		extTxt = `x < y`
	)
	raw := "<message to='bob@localhost' id='esc1' type='chat'>" +
		"<thread>t&amp;&apos;1&apos;</thread>" +
		"<body>a &lt; b &amp; 'c' \"d\" &gt; e ]]&gt;</body>" +
		"<x xmlns='urn:example:ext' k='v&amp;w&quot;&apos;&lt;'>x &lt; y</x>" +
		"<amp xmlns='http://jabber.org/protocol/amp'><rule condition='deliver' value='direct' action='notify'/></amp>" +
		"</message>"
	if err := alice.SendRaw(raw); err != nil {
		t.Fatal(err)
	}

	d := comp.expectDivert(t, "esc1")
	if d.Host != s.Host || d.Origin != route.OriginC2S || d.Recipient != "local" || d.Offline != "store" || d.ID == "" {
		t.Errorf("divert facts host %q origin %q recipient %q offline %q id %q", d.Host, d.Origin, d.Recipient, d.Offline, d.ID)
	}
	var in innerMessage
	if err := xml.Unmarshal(d.Message, &in); err != nil {
		t.Fatalf("inner message %s: %v", d.Message, err)
	}
	if in.Body != body || in.Thread != thread || in.Ext.K != extK || in.Ext.Text != extTxt {
		t.Errorf("inner message %s read as body %q thread %q ext k %q text %q", d.Message, in.Body, in.Thread, in.Ext.K, in.Ext.Text)
	}

	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
	got := expectClient(t, bob, message, c2stest.WithID("esc1"))
	if got.ChildText(c2stest.NSClient, "body") != body || got.ChildText(c2stest.NSClient, "thread") != thread {
		t.Errorf("bob got %s", got)
	}
	if got.Child("urn:example:ext", "x") == nil {
		t.Errorf("bob got %s without the extension element", got)
	}
	if strings.Contains(string(got.Raw), "jabber:client") {
		t.Errorf("delivered message carries the divert's namespace: %s", got.Raw)
	}
}
