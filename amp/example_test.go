package amp_test

import (
	"fmt"

	"github.com/ampd-xmpp/ampd/amp"
)

func Example() {
	raw := []byte(`<message xmlns='jabber:client' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit' id='chatty2'>` +
		`<body>Who&apos;s there?</body>` +
		`<amp xmlns='http://jabber.org/protocol/amp'><rule action='alert' condition='deliver' value='stored'/></amp></message>`)
	var m amp.Message // reuse it for the next stanza
	if err := amp.ParseMessage(raw, &m); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.IsRequest(), m.Amp.Rules[0].Condition.Value)
	fmt.Printf("%s\n", amp.ActionReply(&m, m.Amp.Rules[0], "hamlet.lit"))
	var delivered amp.Message
	_ = amp.ParseMessage(amp.Stamp(&m), &delivered)
	fmt.Printf("%s\n", delivered.Amp.Raw)
	// Output:
	// true deliver
	// <message xmlns='jabber:client' from='hamlet.lit' to='bernardo@hamlet.lit/elsinore' id='chatty2'><amp xmlns='http://jabber.org/protocol/amp' status='alert' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'><rule action='alert' condition='deliver' value='stored'/></amp></message>
	// <amp xmlns='http://jabber.org/protocol/amp' from='bernardo@hamlet.lit/elsinore' to='francisco@hamlet.lit'><rule action='alert' condition='deliver' value='stored'/></amp>
}

func ExampleErrorReply() {
	var m amp.Message
	_ = amp.ParseMessage([]byte(`<message from='a@b/c' to='d@e'><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='stored'/></amp></message>`), &m)
	fmt.Printf("%s\n", amp.ErrorReply(&m, amp.MissingID(), "b"))
	// Output:
	// <message xmlns='jabber:client' from='b' to='a@b/c' type='error'><amp xmlns='http://jabber.org/protocol/amp'><rule action='drop' condition='deliver' value='stored'/></amp><error type='modify' code='400'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>an AMP message requires an id</text></error></message>
}
