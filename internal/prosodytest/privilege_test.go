package prosodytest

import (
	"bytes"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/route"
)

func presenceFrom(jid string, typ string) func([]byte) bool {
	return func(raw []byte) bool {
		if !bytes.HasPrefix(raw, []byte("<presence")) {
			return false
		}
		if !bytes.Contains(raw, []byte("from='"+jid+"'")) && !bytes.Contains(raw, []byte(`from="`+jid+`"`)) {
			return false
		}
		hasType := bytes.Contains(raw, []byte("type='")) || bytes.Contains(raw, []byte(`type="`))
		if typ == "" {
			return !hasType
		}
		return bytes.Contains(raw, []byte("type='"+typ+"'")) || bytes.Contains(raw, []byte(`type="`+typ+`"`))
	}
}

// XEP-0356: the component is told its permissions and gets the presence of
// users online before it connected, every later broadcast presence with its
// priority, and unavailable (also when a connection just drops).
func TestPrivilegedPresence(t *testing.T) {
	s := startSandbox(t, Options{})
	alice := dial(t, s, "alice", "phone")
	if err := alice.Presence(3); err != nil {
		t.Fatal(err)
	}
	expectClient(t, alice, func(st c2stest.Stanza) bool { return st.Name == "presence" }) // own presence echo
	comp := connectStub(t, s)

	perm := comp.expect(t, "privilege announcement", func(raw []byte) bool {
		_, ok := route.ParsePrivilege(raw)
		return ok
	})
	t.Logf("permission announcement: %s", perm)
	p, _ := route.ParsePrivilege(perm)
	if p.Namespace != route.NSPrivilege2 || p.Presence != "managed_entity" || p.Roster != "get" || p.Host != s.Host {
		t.Errorf("privilege = %+v", p)
	}

	early := comp.expect(t, "alice's presence from before the connect", presenceFrom(alice.JID, ""))
	t.Logf("presence of a user online before the component connected: %s", early)
	if !bytes.Contains(early, []byte("<priority>3</priority>")) {
		t.Errorf("no priority in %s", early)
	}

	bob := dial(t, s, "bob", "laptop")
	if err := bob.Presence(5); err != nil {
		t.Fatal(err)
	}
	avail := comp.expect(t, "bob's available presence", presenceFrom(bob.JID, ""))
	t.Logf("broadcast presence: %s", avail)
	if !bytes.Contains(avail, []byte("<priority>5</priority>")) {
		t.Errorf("no priority in %s", avail)
	}
	if err := bob.Unavailable(); err != nil {
		t.Fatal(err)
	}
	gone := comp.expect(t, "bob's unavailable presence", presenceFrom(bob.JID, "unavailable"))
	t.Logf("unavailable presence: %s", gone)

	// A connection that ends without unavailable presence.
	if err := alice.Close(); err != nil {
		t.Logf("close alice: %v", err)
	}
	dropped := comp.expect(t, "alice's unavailable presence", presenceFrom(alice.JID, "unavailable"))
	t.Logf("unavailable presence on a closed stream: %s", dropped)
}
