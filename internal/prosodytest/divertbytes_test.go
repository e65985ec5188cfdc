package prosodytest

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/amp"
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
		"<amp xmlns='http://jabber.org/protocol/amp'><rule condition='expire-at' value='2999-01-01T00:00:00Z' action='drop'/></amp>" +
		"</message>"
	if err := alice.SendRaw(raw); err != nil {
		t.Fatal(err)
	}

	// A hold is possible (expire-at, offline storage): the whole message crosses.
	d := comp.expectDivert(t, "esc1")
	if d.Host != s.Host || d.Origin != route.OriginC2S || d.Recipient != "local" || d.Offline != "store" || d.ID == "" || d.Slim {
		t.Errorf("divert facts host %q origin %q recipient %q offline %q id %q slim %v", d.Host, d.Origin, d.Recipient, d.Offline, d.ID, d.Slim)
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

// Without a possible hold the divert is slim (route §1): the message's attributes and its
// <amp/>, nothing else, read by ampd as the whole message would be read; the recipient still
// gets the whole message, from the module's retained stanza.
func TestDivertSlim(t *testing.T) {
	s := startSandbox(t, Options{})
	comp := connectStub(t, s)
	alice := online(t, s, "alice", "phone")
	bob := online(t, s, "bob", "laptop")

	const rule = "<rule condition='deliver' value='direct' action='notify'/>"
	raw := "<message to='bob@localhost' id='slim1' type='chat' xml:lang='en'>" +
		"<thread>t1</thread><body>secret</body><x xmlns='urn:example:ext'>y</x>" +
		"<amp xmlns='http://jabber.org/protocol/amp' per-hop='true'>" + rule + "</amp></message>"
	if err := alice.SendRaw(raw); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "slim1")
	if !d.Slim {
		t.Fatalf("divert is not slim: %s", d.Message)
	}
	var m amp.Message
	if err := amp.ParseMessage(d.Message, &m); err != nil {
		t.Fatalf("slim inner message %s: %v", d.Message, err)
	}
	if m.From.Value != alice.JID || m.To.Value != "bob@localhost" || m.ID.Value != "slim1" || m.Type.Value != "chat" || m.Lang.Value != "en" {
		t.Errorf("slim inner message %s read as from %q to %q id %q type %q lang %q", d.Message, m.From.Value, m.To.Value, m.ID.Value, m.Type.Value, m.Lang.Value)
	}
	if m.Amp == nil || m.Amp.PerHop.Value != "true" || len(m.Amp.Rules) != 1 ||
		m.Amp.Rules[0].Condition.Value != "deliver" || m.Amp.Rules[0].Value.Value != "direct" || m.Amp.Rules[0].Action.Value != "notify" {
		t.Errorf("slim inner message %s: <amp/> not carried whole", d.Message)
	}
	for _, gone := range []string{"secret", "t1", "urn:example:ext"} {
		if strings.Contains(string(d.Message), gone) {
			t.Errorf("slim inner message %s carries %q", d.Message, gone)
		}
	}

	comp.send(t, route.AppendVerdict(nil, s.ComponentDomain, s.Host, d.ID, route.Deliver, nil))
	got := expectClient(t, bob, message, c2stest.WithID("slim1"))
	if got.ChildText(c2stest.NSClient, "body") != "secret" || got.ChildText(c2stest.NSClient, "thread") != "t1" || got.Child("urn:example:ext", "x") == nil {
		t.Errorf("bob got %s, not the whole message", got)
	}
}
