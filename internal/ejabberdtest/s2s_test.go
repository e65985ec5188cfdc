package ejabberdtest

import (
	"testing"

	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/route"
)

// TestS2SDivert checks that an AMP request arriving from another server for
// a local user is diverted with origin s2s, and delivered on the verdict.
func TestS2SDivert(t *testing.T) {
	var localPort, remotePort int
	if err := sandboxproc.FillFreePorts(&localPort, &remotePort); err != nil {
		t.Fatal(err)
	}
	remote := startServer(t, Options{
		// An IP literal: ejabberd resolves s2s peers with getaddrinfo, and
		// this name (like "localhost") needs no DNS.
		Host: "127.0.0.1", ComponentDomain: "amp.remote", WithoutAmpd: true,
		S2SPort: remotePort, ExtraGlobalConfig: S2SConfig(localPort),
		Users: map[string]string{"carol": "pw"},
	})
	local := startServer(t, Options{
		S2SPort: localPort, ExtraGlobalConfig: S2SConfig(remotePort),
		Users: map[string]string{"alice": "pw", "dave": "pw"},
	})
	stub := connectComponent(t, local)
	alice := client(t, local, "alice", "pw", "phone")
	if err := alice.Presence(1); err != nil {
		t.Fatal(err)
	}
	carol := client(t, remote, "carol", "pw", "home")
	aliceBare := "alice@" + local.Host
	if err := carol.SendRaw(ampMessage(aliceBare, "s2s1")); err != nil {
		t.Fatal(err)
	}
	d := expectDivert(t, stub, "s2s1")
	inner, _ := parseRoot(d.Message)
	if d.Origin != route.OriginS2S || d.Recipient != "local" || d.Offline != "store" || inner.attrs["from"] != carol.JID {
		t.Errorf("got origin=%s recipient=%s offline=%s from=%s; want s2s local store %s",
			d.Origin, d.Recipient, d.Offline, inner.attrs["from"], carol.JID)
	}
	stub.send(t, route.AppendVerdict(nil, local.ComponentDomain, local.Host, d.ID, route.Deliver, nil))
	got, err := alice.Expect(ctxFor(t), message("s2s1"))
	if err != nil {
		t.Fatal(err)
	}
	if amp, ok := findElement(got.InContext(), nsAMP, "amp"); !ok || amp["from"] != carol.JID || amp["to"] != aliceBare {
		t.Errorf("delivered: %s", got.Raw)
	}
	stub.expectNone(t, "second divert of s2s1", isDivertOf("s2s1"))

	// A delivered message that went to offline storage is not diverted
	// again when mod_offline hands it out.
	daveBare := "dave@" + local.Host
	if err := carol.SendRaw(ampMessage(daveBare, "s2s2")); err != nil {
		t.Fatal(err)
	}
	d = expectDivert(t, stub, "s2s2")
	stub.send(t, route.AppendVerdict(nil, local.ComponentDomain, local.Host, d.ID, route.Deliver, nil))
	stub.announce(t, local, announced) // a round trip: the verdict has been carried out
	dave := client(t, local, "dave", "pw", "laptop")
	if err := dave.Presence(1); err != nil {
		t.Fatal(err)
	}
	if _, err := dave.Expect(ctxFor(t), message("s2s2")); err != nil {
		t.Fatal(err)
	}
	stub.expectNone(t, "divert of a message handed out from offline storage", isDivertOf("s2s2"))
}
