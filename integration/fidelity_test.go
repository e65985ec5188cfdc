package integration

import (
	"strings"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/xmlcanon"
)

// What the recipient receives through ampd is what it receives without AMP, apart from the
// <amp> stamping: unknown extension elements (an OMEMO-like payload), xml:lang, escapes,
// entities and non-ASCII text all survive.
func TestPayloadFidelity(t *testing.T) {
	e := newEnv(t, envOptions{})
	aliceU, bobU := e.user("alice"), e.user("bob")
	alice := e.client(aliceU, "phone", prio(0))
	bob := e.client(bobU, "pc", prio(0))
	e.befriend(alice, bob, aliceU, bobU)
	to := e.jid(bobU)
	payload := `<body xml:lang='de'>Grüße &amp; &lt;tags&gt; &#x263A; "quoted" 'apos' ∑ 日本語</body>` +
		`<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='27183'><key rid='31415'>MwohBf3bqz0=</key><iv>iVhKzR1x</iv></header><payload>SGVsbG8=</payload></encrypted>` +
		`<store xmlns='urn:xmpp:hints'/><x:custom xmlns:x='urn:example:custom' x:attr='v&amp;v'>text<x:nested/></x:custom>` +
		`<thread parent='p1'>t&amp;1</thread>`
	send := func(id, amp string) c2stest.Stanza {
		t.Helper()
		must(t, alice.SendRaw(`<message to='`+to+`' id='`+id+`' type='chat' xml:lang='en'>`+payload+amp+`</message>`))
		ctx, cancel := ctxWait()
		defer cancel()
		got, err := bob.Expect(ctx, c2stest.All(c2stest.Named("message"), c2stest.WithID(id)))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	plain := send("plain", "")
	withAMP := send("amp", `<amp xmlns='http://jabber.org/protocol/amp'>`+rule("notify", "deliver", "direct")+`</amp>`)
	stripped, err := xmlcanon.Without(withAMP.InContext(), "http://jabber.org/protocol/amp", "amp")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(plain.InContext()), "id='plain'", "id='amp'", 1)
	want = strings.Replace(want, `id="plain"`, `id="amp"`, 1)
	if ok, diff := xmlcanon.Equal(stripped, []byte(want)); !ok {
		t.Fatalf("the message through ampd differs from the plain one beyond <amp>:\n%s", diff)
	}
	amp := withAMP.Child("http://jabber.org/protocol/amp", "amp")
	for _, attr := range []string{alice.JID, to} {
		if !strings.Contains(string(amp), attr) {
			t.Errorf("<amp> not stamped with %s: %s", attr, amp)
		}
	}
	expectStanza(t, alice, replyTo("amp"), "")
}
