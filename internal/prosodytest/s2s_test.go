package prosodytest

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/route"
)

// startPair starts the sandbox "localhost" with mod_ampd and a second one,
// "remote.test", without it, pinned to each other's s2s ports.
func startPair(t *testing.T, o Options) (local, remote *Server) {
	t.Helper()
	var localPort, remotePort int
	if err := sandboxproc.FillFreePorts(&localPort, &remotePort); err != nil {
		t.Fatal(err)
	}
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	pin := func(domain string, port int) string {
		return fmt.Sprintf("s2s_pin = { [%s] = %d }\nmodules_enabled = { \"roster\", \"saslauth\", \"dialback\", \"disco\", \"ping\", \"s2s_pin\" }", luaString(domain), port)
	}
	o.S2SPort = localPort
	o.ExtraPluginPaths = []string{testdata}
	o.ExtraGlobalConfig = pin("remote.test", remotePort)
	local = startSandbox(t, o)
	remote = startSandbox(t, Options{
		Host:              "remote.test",
		S2SPort:           remotePort,
		WithoutAmpd:       true,
		Users:             map[string]string{"romeo": password},
		ExtraPluginPaths:  []string{testdata},
		ExtraGlobalConfig: pin("localhost", localPort),
	})
	return local, remote
}

// AMP requests from another server for local users are diverted with
// origin s2s; replies and deliveries to a remote sender go back over s2s.
func TestS2S(t *testing.T) {
	local, remote := startPair(t, Options{})
	comp := connectStub(t, local)
	alice := online(t, local, "alice", "phone")
	romeo := online(t, remote, "romeo", "balcony")
	bob := online(t, local, "bob", "laptop")

	for _, tc := range []struct{ id, to, recipient, offline string }{
		{"s1", "bob@localhost", "local", "store"},
		{"s2", "nobody@localhost", "unknown", "none"},
	} {
		if err := romeo.SendRaw(ampMessage(tc.to, tc.id, "from afar")); err != nil {
			t.Fatal(err)
		}
		d := comp.expectDivert(t, tc.id)
		if d.Origin != route.OriginS2S || d.Recipient != tc.recipient || d.Offline != tc.offline {
			t.Errorf("divert %s: origin %s recipient %s offline %s; want s2s %s %s", tc.id, d.Origin, d.Recipient, d.Offline, tc.recipient, tc.offline)
		}
		if inner := parseInner(t, d.Message); inner.From != romeo.JID || inner.To != tc.to {
			t.Errorf("inner %s: from %q to %q", tc.id, inner.From, inner.To)
		}
		if tc.id == "s1" {
			comp.send(t, route.AppendVerdict(nil, local.ComponentDomain, local.Host, d.ID, route.Deliver,
				notifyReply(local, romeo.JID, tc.id, "localhost")))
			got := expectClient(t, bob, message, c2stest.WithID(tc.id))
			if from, to := ampAttrs(t, got.Child(nsAMP, "amp")); got.From != romeo.JID || from != romeo.JID || to != "bob@localhost" {
				t.Errorf("bob got %s", got)
			}
			reply := expectClient(t, romeo, message, c2stest.WithID(tc.id))
			if reply.From != "localhost" || !reply.Has(nsAMP, "amp") {
				t.Errorf("romeo got %s; want the notify reply from localhost", reply)
			}
		}
	}

	// A local client's request to the remote user: recipient remote, delivered over s2s.
	if err := alice.SendRaw(ampMessage(romeo.JID, "s3", "to afar")); err != nil {
		t.Fatal(err)
	}
	d := comp.expectDivert(t, "s3")
	if d.Origin != route.OriginC2S || d.Recipient != "remote" || d.Offline != "none" {
		t.Errorf("divert s3: %+v", d)
	}
	comp.send(t, route.AppendVerdict(nil, local.ComponentDomain, local.Host, d.ID, route.Deliver, nil))
	got := expectClient(t, romeo, message, c2stest.WithID("s3"))
	if from, to := ampAttrs(t, got.Child(nsAMP, "amp")); from != alice.JID || to != romeo.JID {
		t.Errorf("romeo got %s", got)
	}

	// With ampd gone, the remote sender gets the bounce over s2s.
	comp.close()
	if err := romeo.SendRaw(ampMessage("bob@localhost", "s4", "nobody home")); err != nil {
		t.Fatal(err)
	}
	bounce := expectClient(t, romeo, message, c2stest.WithID("s4"))
	if bounce.Type != "error" || bounce.From != "localhost" || bounce.Find(nsStanzas, "service-unavailable") == nil {
		t.Errorf("romeo got %s; want service-unavailable from localhost", bounce)
	}
}
