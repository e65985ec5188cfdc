package ejabberdtest

import (
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

// DeleteOfflineMessages removes what was stored before it and nothing after: the recipient,
// who gets offline messages oldest first, gets the later one first.
func TestDeleteOfflineMessages(t *testing.T) {
	s := startServer(t, Options{WithoutAmpd: true, Users: map[string]string{"alice": "pw", "bob": "pw"}})
	alice := client(t, s, "alice", "pw", "phone")
	send := func(id string) {
		t.Helper()
		if err := alice.SendRaw(`<message to='bob@` + s.Host + `' type='chat' id='` + id + `'><body>b</body></message>`); err != nil {
			t.Fatal(err)
		}
		// The session stores an offline message before it handles its next stanza: the
		// answer to this query means the message is stored.
		if _, err := alice.IQ(ctxFor(t), `<iq type='get' to='`+s.Host+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`); err != nil {
			t.Fatal(err)
		}
	}
	send("before")
	if err := s.DeleteOfflineMessages(); err != nil {
		t.Fatal(err)
	}
	send("after")
	bob := client(t, s, "bob", "pw", "desk")
	if err := bob.Presence(0); err != nil {
		t.Fatal(err)
	}
	got, err := bob.Expect(ctxFor(t), c2stest.Named("message"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "after" {
		t.Errorf("first offline message is %s, want the one stored after the deletion", got.Raw)
	}
}
