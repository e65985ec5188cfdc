package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
	"github.com/ampd-xmpp/ampd/internal/xmlcanon"
)

const nsAMP = "http://jabber.org/protocol/amp"

func rule(action, condition, value string) string {
	return `<rule action='` + action + `' condition='` + condition + `' value='` + value + `'/>`
}

func ampMessage(to, id, typ, rules string) string {
	t := ""
	if typ != "" {
		t = ` type='` + typ + `'`
	}
	idAttr := ""
	if id != "" {
		idAttr = ` id='` + id + `'`
	}
	return `<message to='` + to + `'` + idAttr + t + `><body>body of ` + id + `</body><amp xmlns='` + nsAMP + `'>` + rules + `</amp></message>`
}

// expectStanza waits for a stanza matching m and compares it semantically with want (a
// jabber:client stanza as it appears on the sender's stream).
func expectStanza(t *testing.T, c *c2stest.Client, m func(c2stest.Stanza) bool, want string) c2stest.Stanza {
	t.Helper()
	ctx, cancel := ctxWait()
	defer cancel()
	got, err := c.Expect(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if want != "" {
		if ok, diff := xmlcanon.Equal(got.InContext(), c2stest.InContext([]byte(want))); !ok {
			t.Fatalf("received\n%s\nwant\n%s\n%s", got.Raw, want, diff)
		}
	}
	return got
}

func expectNothing(t *testing.T, c *c2stest.Client, m func(c2stest.Stanza) bool) {
	t.Helper()
	ctx, cancel := ctxWait()
	defer cancel()
	if err := c.ExpectNone(ctx, 1500*time.Millisecond, m); err != nil {
		t.Fatal(err)
	}
}

func bodyOf(id string) func(c2stest.Stanza) bool {
	return func(s c2stest.Stanza) bool {
		return s.Name == "message" && s.ChildText(c2stest.NSClient, "body") == "body of "+id
	}
}

func replyTo(id string) func(c2stest.Stanza) bool {
	return c2stest.All(c2stest.Named("message"), c2stest.WithID(id), c2stest.WithChild(nsAMP, "amp"))
}

// reply is the XEP-0079 §5 reply shape from the server's domain.
func reply(e *env, sender, to, id, status, r string) string {
	typ := ""
	errEl := ""
	if status == "error" {
		typ = ` type='error'`
		errEl = `<error type='modify' code='500'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
			`<failed-rules xmlns='http://jabber.org/protocol/amp#errors'>` + r + `</failed-rules></error>`
	}
	return `<message from='` + e.srv.Host + `' to='` + sender + `' id='` + id + `'` + typ + `>` +
		`<amp xmlns='` + nsAMP + `' status='` + status + `' from='` + sender + `' to='` + to + `'>` + r + `</amp>` + errEl + `</message>`
}

// One Prosody for the rows of amp-semantics §2–§5 that need no held messages: each subtest uses
// its own accounts, friends of each other (§9 roster policy, the default, lets them through).
func TestRules(t *testing.T) {
	e := newEnv(t, envOptions{})

	type state struct {
		resources map[string]int // recipient's online resources → priority
	}
	tests := []struct {
		name      string
		state     state
		to        string // "bare", or a resource name for a full JID
		typ       string
		rules     string
		status    string // expected reply status ("" none)
		metRule   string
		delivered []string // recipient resources that get the message
		bounced   bool     // the server bounces the message back to the sender (unknown/none)
	}{
		{name: "online/bare/direct-notify", state: state{map[string]int{"pc": 0}}, to: "bare", typ: "chat",
			rules: rule("notify", "deliver", "direct"), status: "notify", metRule: rule("notify", "deliver", "direct"), delivered: []string{"pc"}},
		{name: "online/bare/stored-not-met", state: state{map[string]int{"pc": 0}}, to: "bare", typ: "chat",
			rules: rule("alert", "deliver", "stored"), delivered: []string{"pc"}},
		{name: "online/several/highest-priority-only", state: state{map[string]int{"low": 1, "high": 5}}, to: "bare", typ: "chat",
			rules: rule("error", "match-resource", "exact") + rule("notify", "match-resource", "other"), status: "notify", metRule: rule("notify", "match-resource", "other"), delivered: []string{"high"}},
		{name: "online/negative-priority-is-stored", state: state{map[string]int{"pc": -1}}, to: "bare", typ: "chat",
			rules: rule("alert", "deliver", "stored"), status: "alert", metRule: rule("alert", "deliver", "stored")},
		{name: "online/full/exact", state: state{map[string]int{"pc": -5}}, to: "pc", typ: "chat",
			rules: rule("notify", "match-resource", "exact"), status: "notify", metRule: rule("notify", "match-resource", "exact"), delivered: []string{"pc"}},
		{name: "other-resource/full/other-error", state: state{map[string]int{"pc": 0}}, to: "phone", typ: "chat",
			rules: rule("error", "match-resource", "other"), status: "error", metRule: rule("error", "match-resource", "other")},
		{name: "offline/stored-alert", to: "bare", typ: "chat",
			rules: rule("alert", "deliver", "stored"), status: "alert", metRule: rule("alert", "deliver", "stored")},
		{name: "offline/stored-notify-then-stored", to: "bare", typ: "normal",
			rules: rule("notify", "deliver", "stored"), status: "notify", metRule: rule("notify", "deliver", "stored")},
		{name: "offline/any-drop", to: "bare", typ: "chat",
			rules: rule("drop", "match-resource", "any")},
		{name: "offline/headline-none-error", to: "bare", typ: "headline",
			rules: rule("error", "deliver", "none"), status: "error", metRule: rule("error", "deliver", "none")},
		{name: "online/first-met-wins", state: state{map[string]int{"pc": 0}}, to: "bare", typ: "chat",
			rules:  rule("alert", "deliver", "stored") + rule("notify", "deliver", "direct") + rule("error", "match-resource", "any"),
			status: "notify", metRule: rule("notify", "deliver", "direct"), delivered: []string{"pc"}},
		{name: "online/expire-at-past-drop", state: state{map[string]int{"pc": 0}}, to: "bare", typ: "chat",
			rules: rule("drop", "expire-at", "2004-01-01T00:00:00Z")},
		{name: "online/expire-at-future-not-met", state: state{map[string]int{"pc": 0}}, to: "bare", typ: "chat",
			rules: rule("alert", "expire-at", "2999-01-01T00:00:00.123456Z"), delivered: []string{"pc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			aliceU, bobU := e.user("alice"), e.user("bob")
			alice := e.client(aliceU, "phone", prio(0))
			e.befriendOffline(alice, aliceU, bobU)
			bobs := map[string]*c2stest.Client{}
			for res, p := range tc.state.resources {
				bobs[res] = e.client(bobU, res, prio(p))
			}
			to := e.jid(bobU)
			if tc.to != "bare" {
				to += "/" + tc.to
			}
			id := "m-" + tc.name
			must(t, alice.SendRaw(ampMessage(to, id, tc.typ, tc.rules)))
			if tc.status != "" {
				expectStanza(t, alice, replyTo(id), reply(e, alice.JID, to, id, tc.status, tc.metRule))
			}
			for res, c := range bobs {
				want := false
				for _, d := range tc.delivered {
					want = want || d == res
				}
				if want {
					got := expectStanza(t, c, bodyOf(id), "")
					amp := got.Child(nsAMP, "amp")
					if !strings.Contains(string(amp), alice.JID) || !strings.Contains(string(amp), to) {
						t.Errorf("delivered <amp> is not stamped with from=%s to=%s: %s", alice.JID, to, amp)
					}
				} else {
					expectNothing(t, c, bodyOf(id))
				}
			}
			if tc.status == "" {
				expectNothing(t, alice, replyTo(id))
			}
		})
	}
}
