package held

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ampd-xmpp/ampd/resolver"
	"github.com/ampd-xmpp/ampd/store"
)

// printer is an Actions that prints what would be re-injected.
type printer struct{}

func (printer) Reinject(host, key, _ string, stanza []byte) error {
	fmt.Printf("reinject to %s [%s]:\n%s\n", host, key, stanza)
	return nil
}

// The daemon's side: hold a message the resolver decided to hold, then release it when the
// recipient comes online.
func Example() {
	dir, _ := os.MkdirTemp("", "held-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "held.db"), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	clk := newFakeClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) // SystemClock() in ampd
	m, _ := New(st, clk, printer{}, Options{})
	defer m.Close()

	msg := []byte("<message xmlns='jabber:client' from='alice@example.org/phone' to='bob@example.org' id='m1'>" +
		"<body>hi</body><amp xmlns='http://jabber.org/protocol/amp'>" +
		"<rule action='drop' condition='expire-at' value='2026-11-21T13:00:00Z'/></amp></message>")
	d := resolver.Decision{Verdict: resolver.Hold, Disposition: resolver.Stored, Met: -1}
	id, err := m.Hold("example.org", "route-1", msg, clk.Now(), d)
	fmt.Println("held as", id, err) // now the verdict hold (and a stored notification) may go out

	clk.Advance(5 * time.Minute)
	m.Available("bob@example.org")
	fmt.Println("still held:", m.Len())
	// Output:
	// held as 1 <nil>
	// reinject to example.org [held-1-release]:
	// <message xmlns='jabber:client' from='alice@example.org/phone' to='bob@example.org' id='m1'><body>hi</body><amp xmlns='http://jabber.org/protocol/amp' from='alice@example.org/phone' to='bob@example.org'><rule action='drop' condition='expire-at' value='2026-11-21T13:00:00Z'/></amp><delay xmlns='urn:xmpp:delay' from='example.org' stamp='2026-11-21T12:00:00.000Z'/></message>
	// still held: 0
}
