package integration

import "github.com/ampd-xmpp/ampd/internal/c2stest"

// befriendOffline makes bUser a mutual contact of a (logged in as aUser) and leaves bUser
// offline: bUser logs in once to approve, then logs out again.
func (e *env) befriendOffline(a *c2stest.Client, aUser, bUser string) {
	e.t.Helper()
	setup := e.client(bUser, "setup", nil)
	e.befriend(a, setup, aUser, bUser)
	setup.Close()
	if e.ampd != nil { // with an external ampd the caller waits on its metrics instead
		e.waitResource(e.jid(bUser), "setup", false)
	}
}
