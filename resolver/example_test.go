package resolver_test

import (
	"fmt"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/ampd-xmpp/ampd/amp"
	"github.com/ampd-xmpp/ampd/resolver"
)

// A transient message (XEP-0079 Example 14): alert the sender instead of storing it.
func ExampleDecide() {
	present := func(v string) amp.Attr { return amp.Attr{Value: v, Present: true} }
	msg := &amp.Message{
		ID:   present("chatty2"),
		Type: present("chat"),
		Amp: &amp.Element{Rules: []amp.Rule{
			{Action: present("alert"), Condition: present("deliver"), Value: present("stored")},
		}},
	}
	in := resolver.Input{
		Message:            msg,
		From:               jid.MustParse("bernardo@hamlet.lit/elsinore"),
		To:                 jid.MustParse("francisco@hamlet.lit"),
		Facts:              resolver.Facts{Recipient: resolver.RecipientLocal, OfflineStorage: true},
		Available:          nil, // francisco is offline
		PresenceAuthorised: true,
		Now:                time.Now(),
	}
	d := resolver.Decide(in, resolver.DefaultFeatures())
	fmt.Println(d.Disposition, d.Verdict, d.Met, d.Action)

	in.PresenceAuthorised = false // a stranger may not probe francisco's presence
	d = resolver.Decide(in, resolver.DefaultFeatures())
	fmt.Println(d.Verdict, d.Err)
	// Output:
	// stored discard 0 alert
	// discard amp: not-acceptable (invalid-rules)
}
