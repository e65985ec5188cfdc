package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ampd-xmpp/ampd/config"
	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/ejabberdtest"
	"github.com/ampd-xmpp/ampd/internal/sandboxproc"
	"github.com/ampd-xmpp/ampd/internal/serverkind"
)

// The §8 next hop through ejabberd, on loopback: the local ejabberd ("localhost", mod_ampd and
// ampd) and a remote ejabberd of the same kind named by an IP literal ("127.0.0.1"). ejabberd
// resolves s2s peers with getaddrinfo (an IP literal needs no DNS) and has one outgoing s2s
// port for all peers, so each case is a pair of its own, each server's outgoing s2s pinned to
// the other's listener (ejabberdtest.S2SConfig).
//
// This is what ejabberd ≥ 24.10 broke (issue 12): mod_privilege drops every IQ a component
// sends to a domain that granted it nothing, so an ampd that sends its disco#info to
// "127.0.0.1" as amp.localhost gets no answer, waits amp.remote_timeout (10 s) and treats the
// remote as without AMP. On ejabberd24 both cases below then fail: the supported case is
// refused with a 503 instead of delivered, the unsupported one answers after 10 s, not under
// one (checked by building ampd with the raw iq again: both fail so, the server logging "IQ not
// forwarded: Component seems disconnected"). ampd asks through the module instead
// (docs/PROTOCOL.md §6), which sends the iq from the server's own domain.

// ejabberdRemote is the host of the remote sandbox: an IP literal, which ejabberd's
// getaddrinfo resolves without DNS.
const ejabberdRemote = "127.0.0.1"

// nextHopAnswerBound is the promise for an answer ampd must ask the remote for: it
// comes in under a second (not after amp.remote_timeout).
const nextHopAnswerBound = time.Second

// startEjabberdPair starts the local ejabberd with ampd and a remote ejabberd on
// ejabberdRemote, federating with each other; the remote has mod_ampd and an ampd of its own
// when withAMP, nothing of AMP otherwise.
func startEjabberdPair(t *testing.T, withAMP bool) (local, remote *env) {
	t.Helper()
	var localPort, remotePort int
	must(t, sandboxproc.FillFreePorts(&localPort, &remotePort))
	local = newEnv(t, envOptions{server: serverOptions{
		S2SPort: localPort, EjabberdGlobalConfig: ejabberdtest.S2SConfig(remotePort),
	}})
	remote = newEnv(t, envOptions{
		server: serverOptions{Host: ejabberdRemote, WithoutAmpd: !withAMP,
			S2SPort: remotePort, EjabberdGlobalConfig: ejabberdtest.S2SConfig(localPort)},
		// Its users are strangers to ours: let the remote edge evaluate their rules anyway.
		edit:     func(c *config.Config) { c.Privacy.PresencePolicy = config.PolicyOff },
		external: !withAMP,
	})
	return local, remote
}

// advertisesAMP asks e's server for its disco#info as c, one of its users, and reports whether
// it lists AMP: what the local ampd's next-hop question will find.
func advertisesAMP(e *env, c *c2stest.Client) (bool, error) {
	ctx, cancel := ctxWait()
	defer cancel()
	res, err := c.IQ(ctx, `<iq type='get' to='`+e.srv.Host+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil {
		return false, err
	}
	return features(string(res.Raw))[nsAMP], nil
}

func TestEjabberdFederationNextHop(t *testing.T) {
	if kind.Family != serverkind.Ejabberd {
		t.Skipf("AMPD_TEST_SERVER=%s: the next hop through ejabberd is ejabberd's; Prosody's is TestFederationNextHop", serverKind())
	}
	notify := rule("notify", "deliver", "direct")

	// The remote advertises AMP (its ampd has announced it through mod_ampd): the message is
	// delivered with its <amp/> stamped, and the sender notified, with the usual latency.
	t.Run("supported", func(t *testing.T) {
		local, remote := startEjabberdPair(t, true)
		alice := local.client(local.user("alice"), "phone", prio(0))
		romeoU := remote.user("romeo")
		romeo := remote.client(romeoU, "balcony", prio(0))
		to := remote.jid(romeoU)
		// The remote's ampd announced its features at connection; they are in effect once the
		// remote's own disco#info lists them.
		remote.eventually("the remote advertises AMP", func() error {
			if ok, err := advertisesAMP(remote, romeo); err != nil || !ok {
				return fmt.Errorf("AMP not listed (%v)", err)
			}
			return nil
		})

		sent := time.Now()
		must(t, alice.SendRaw(ampMessage(to, "n1", "chat", notify)))
		expectStanza(t, alice, replyFrom("n1", local.srv.Host), reply(local, alice.JID, to, "n1", "notify", notify))
		notified := time.Since(sent)
		got := expectStanza(t, romeo, bodyOf("n1"), "")
		delivered := time.Since(sent)
		t.Logf("%s: notify after %v, delivered after %v (s2s set up on the way)", serverKind(), notified.Round(time.Millisecond), delivered.Round(time.Millisecond))
		if !hasAMP(got) || !containsAttr(got.Raw, "from", alice.JID) {
			t.Errorf("romeo got %s; want it with the <amp/> stamped from %s", got.Raw, alice.JID)
		}
		if n := testutil.ToFloat64(local.ampd.metrics.RemoteChecks.WithLabelValues("supported")); n != 1 {
			t.Errorf("remote checks{supported} = %v, want 1", n)
		}
		// Well under amp.remote_timeout: the answer came, ampd did not give up waiting.
		if bound := local.cfg.AMP.RemoteTimeout / 2; delivered >= bound {
			t.Errorf("delivered after %v; want under %v (amp.remote_timeout is %v)", delivered, bound, local.cfg.AMP.RemoteTimeout)
		}
	})

	// The remote does not advertise AMP (no mod_ampd): with amp.remote_unsupported = "error"
	// (the default) the sender gets the 503 at once and nothing is delivered.
	t.Run("unsupported", func(t *testing.T) {
		local, remote := startEjabberdPair(t, false)
		if p := local.cfg.AMP.RemoteUnsupported; p != config.RemoteError {
			t.Fatalf("amp.remote_unsupported defaults to %q; this case is about %q", p, config.RemoteError)
		}
		alice := local.client(local.user("alice"), "phone", prio(0))
		julietU := remote.user("juliet")
		juliet := remote.onlinePlain(julietU, "tomb")
		to := remote.jid(julietU)
		if ok, err := advertisesAMP(remote, juliet); err != nil || ok {
			t.Fatalf("the remote without mod_ampd: AMP listed %v (%v); want it unlisted", ok, err)
		}

		sent := time.Now()
		must(t, alice.SendRaw(ampMessage(to, "p1", "chat", notify)))
		// Only the 503: the notify the rule met is not sent for a message refused.
		expectStanza(t, alice, replyTo("p1"), unavailable(local, alice.JID, "p1", notify))
		answered := time.Since(sent)
		t.Logf("%s: the §8 503 after %v (s2s set up on the way)", serverKind(), answered.Round(time.Millisecond))
		if answered >= nextHopAnswerBound {
			t.Errorf("the 503 came after %v; want under %v", answered, nextHopAnswerBound)
		}
		if n := testutil.ToFloat64(local.ampd.metrics.RemoteChecks.WithLabelValues("unsupported")); n != 1 {
			t.Errorf("remote checks{unsupported} = %v, want 1 (an answer without AMP, not a failure)", n)
		}
		expectNothing(t, juliet, bodyOf("p1"))
	})
}
