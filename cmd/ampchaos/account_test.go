package main

import (
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/internal/c2stest"
)

var t0 = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func seen(kinds ...string) []Observation {
	var out []Observation
	for i, k := range kinds {
		out = append(out, Observation{Kind: k, At: t0.Add(time.Duration(i+1) * time.Second)})
	}
	return out
}

func held(action string, deadline, online time.Duration) Message {
	m := Message{ID: "h", Class: Held, ExpireAction: action, Sent: t0, Deadline: t0.Add(deadline)}
	if online != 0 {
		m.OnlineAt = t0.Add(online)
	}
	return m
}

// The verdict for each story: complete (which outcome), lost, duplicated or unexplained.
func TestJudge(t *testing.T) {
	type want struct {
		outcome                       string // "" unless complete
		lost, duplicated, unexplained bool
	}
	online := func(c Class) Message { return Message{ID: "m", Class: c, Sent: t0} }
	cases := []struct {
		name string
		m    Message
		seen []Observation
		want want
	}{
		{"notify and delivery", online(OnlineNotify), seen("notify/deliver", KindDelivered), want{outcome: "delivered+notify"}},
		{"delivery before notify is the same outcome", online(OnlineNotify), seen(KindDelivered, "notify/deliver"), want{outcome: "delivered+notify"}},
		{"bounced", online(OnlineNotify), seen(KindBounce), want{outcome: "bounced"}},
		{"notify without delivery", online(OnlineNotify), seen("notify/deliver"), want{lost: true}},
		{"nothing at all", online(OnlineNotify), nil, want{lost: true}},
		{"delivered twice", online(OnlineNotify), seen("notify/deliver", KindDelivered, KindDelivered), want{duplicated: true}},
		{"notified twice", online(OnlineNotify), seen("notify/deliver", "notify/deliver", KindDelivered), want{duplicated: true}},
		{"bounced and delivered", online(OnlineNotify), seen(KindBounce, KindDelivered), want{duplicated: true}},
		{"bounced twice", online(OnlineAlert), seen(KindBounce, KindBounce), want{duplicated: true}},
		{"alert", online(OnlineAlert), seen("alert/deliver"), want{outcome: "alerted"}},
		{"alert and delivered", online(OnlineAlert), seen("alert/deliver", KindDelivered), want{unexplained: true}},
		{"error reply", online(OnlineError), seen("error/deliver"), want{outcome: "error-replied"}},
		{"an alert for an error rule", online(OnlineError), seen("alert/deliver"), want{unexplained: true}},
		{"drop: nothing", online(OnlineDrop), nil, want{outcome: "dropped"}},
		{"drop delivered", online(OnlineDrop), seen(KindDelivered), want{unexplained: true}},
		{"drop bounced", online(OnlineDrop), seen(KindBounce), want{outcome: "bounced"}},
		{"a stanza nobody can explain", online(OnlineNotify), seen("notify/deliver", KindDelivered, KindOther), want{unexplained: true}},
		{"stored and fetched", online(OfflineNotify), seen("notify/deliver", KindDelivered), want{outcome: "stored+notify"}},
		{"stored, never fetched", online(OfflineNotify), seen("notify/deliver"), want{lost: true}},

		{"held, released", held("alert", 30*time.Second, 10*time.Second), seen("notify/deliver", KindDelivered), want{outcome: "held+released"}},
		{"held, expired", held("alert", 10*time.Second, 30*time.Second), seen("notify/deliver", "alert/expire-at"), want{outcome: "held+expired"}},
		{"held, expired early (ampd away when the recipient came)", held("alert", 30*time.Second, 10*time.Second), seen("notify/deliver", "alert/expire-at"), want{outcome: "held+expired"}},
		{"held, released after its deadline", held("alert", 10*time.Second, 30*time.Second), seen("notify/deliver", KindDelivered), want{unexplained: true}},
		{"held, released and expired", held("alert", 30*time.Second, 10*time.Second), seen("notify/deliver", KindDelivered, "alert/expire-at"), want{duplicated: true}},
		{"held, nothing after the hold", held("alert", 30*time.Second, 10*time.Second), seen("notify/deliver"), want{lost: true}},
		{"held, expired twice", held("error", 10*time.Second, 30*time.Second), seen("notify/deliver", "error/expire-at", "error/expire-at"), want{duplicated: true}},
		{"held drop, expired", held("drop", 10*time.Second, 30*time.Second), seen("notify/deliver"), want{outcome: "held+expired"}},
		{"held notify, expired then delivered", held("notify", 10*time.Second, 30*time.Second), seen("notify/deliver", "notify/expire-at", KindDelivered), want{outcome: "held+expired"}},
		{"held notify, expiry notified but never delivered", held("notify", 10*time.Second, 30*time.Second), seen("notify/deliver", "notify/expire-at"), want{lost: true}},
		{"recipient online when ampd decided", held("alert", 30*time.Second, 10*time.Second), seen(KindDelivered), want{outcome: "direct+released"}},
		{"held, bounced", held("alert", 30*time.Second, 10*time.Second), seen(KindBounce), want{outcome: "bounced"}},
		{"held, bounced, then released (a hold after the module gave up)", held("alert", 30*time.Second, 10*time.Second), seen(KindBounce, KindDelivered), want{duplicated: true}},
		{"held, bounced, then expired", held("alert", 10*time.Second, 30*time.Second), seen(KindBounce, "alert/expire-at"), want{duplicated: true}},
	}
	for _, c := range cases {
		v := Judge(Story{Message: c.m, Seen: c.seen})
		got := want{lost: v.Lost, duplicated: v.Duplicated, unexplained: v.Unexplained}
		if v.Complete {
			got.outcome = v.Outcome
		}
		if got != c.want {
			t.Errorf("%s: %+v (why: %q), want %+v", c.name, got, v.Why, c.want)
		}
		if !v.Complete && v.Why == "" {
			t.Errorf("%s: a failing verdict must say why", c.name)
		}
	}
}

// An expiry reply may die with the sender's session in a server restart: that loss is allowed
// only when the deadline falls in such a span, and only for a reply (not a delivery).
func TestJudgeExpiryReplyWhileSenderAway(t *testing.T) {
	m := held("error", 10*time.Second, 30*time.Second)
	s := Story{Message: m, Seen: seen("notify/deliver")}
	if v := Judge(s); !v.Lost {
		t.Errorf("sender never away: %+v, want lost", v)
	}
	s.SenderAway = []Window{{From: t0.Add(9500 * time.Millisecond), To: t0.Add(12 * time.Second)}}
	if v := Judge(s); !v.Complete {
		t.Errorf("deadline inside the sender's absence: %+v, want complete", v)
	}
	s.SenderAway = []Window{{From: t0.Add(20 * time.Second), To: t0.Add(22 * time.Second)}}
	if v := Judge(s); !v.Lost {
		t.Errorf("absence after the deadline: %+v, want lost", v)
	}
	alert := Story{Message: held("alert", 10*time.Second, 30*time.Second), Seen: seen("notify/deliver")}
	alert.SenderAway = []Window{{From: t0.Add(9 * time.Second), To: t0.Add(12 * time.Second)}}
	if v := Judge(alert); !v.Complete {
		t.Errorf("an alert reply in a restart: %+v, want complete", v)
	}
	released := Story{Message: held("alert", 10*time.Second, 5*time.Second), Seen: seen("notify/deliver")}
	released.SenderAway = alert.SenderAway
	if v := Judge(released); v.Complete && v.Outcome != "held+expired, reply lost in a server restart" {
		t.Errorf("%+v", v)
	}
	drop := Story{Message: held("drop", 10*time.Second, 5*time.Second), Seen: seen("notify/deliver", KindDelivered, KindDelivered)}
	drop.SenderAway = alert.SenderAway
	if v := Judge(drop); !v.Duplicated {
		t.Errorf("a delivery twice is never excused: %+v", v)
	}
}

func TestSettled(t *testing.T) {
	cases := []struct {
		name string
		s    Story
		want bool
	}{
		{"online notify answered", Story{Message: Message{Class: OnlineNotify}, Seen: seen("notify/deliver", KindDelivered)}, true},
		{"online notify, delivery still in flight", Story{Message: Message{Class: OnlineNotify}, Seen: seen("notify/deliver")}, false},
		{"drop: nothing to see", Story{Message: Message{Class: OnlineDrop}}, false},
		{"held: the hold notify comes after the store", Story{Message: held("alert", time.Minute, 0), Seen: seen("notify/deliver")}, true},
		{"stored: the notify comes with the verdict", Story{Message: Message{Class: OfflineNotify}, Seen: seen("notify/deliver")}, true},
		{"bounced", Story{Message: Message{Class: OnlineNotify}, Seen: seen(KindBounce)}, true},
	}
	for _, c := range cases {
		if got := Settled(c.s); got != c.want {
			t.Errorf("%s: Settled = %v, want %v", c.name, got, c.want)
		}
	}
}

// A drop has nothing to observe: it is settled once a later message of the same sender is.
func TestLedgerUnsettledDropsFollowTheirSender(t *testing.T) {
	l := newLedger()
	l.sent(Message{ID: "1", From: "a", Class: OnlineDrop})
	l.sent(Message{ID: "2", From: "a", Class: OnlineNotify})
	l.sent(Message{ID: "3", From: "b", Class: OnlineDrop})
	if n := l.unsettled(); n != 3 {
		t.Errorf("unsettled = %d, want 3", n)
	}
	l.seen("2", Observation{Kind: "notify/deliver"})
	l.seen("2", Observation{Kind: KindDelivered})
	if n := l.unsettled(); n != 1 {
		t.Errorf("unsettled = %d, want 1 (b's drop)", n)
	}
	l.seen("nope", Observation{Kind: KindDelivered})
	if _, strays, _ := l.snapshot(); len(strays) != 1 {
		t.Errorf("strays = %d, want 1: an id never sent", len(strays))
	}
}

// What a received stanza counts as (XML in, kind out).
func TestClassify(t *testing.T) {
	cases := []struct {
		raw, kind, id string
		ok            bool
	}{
		{`<message from='localhost' to='a@localhost/r' id='m1'><amp xmlns='http://jabber.org/protocol/amp' status='notify' to='b@localhost' from='a@localhost/r'><rule action='notify' condition='deliver' value='direct'/></amp></message>`, "notify/deliver", "m1", true},
		{`<message type="error" id="m2"><amp xmlns="http://jabber.org/protocol/amp" status="error"><rule action="error" condition="expire-at" value="x"/></amp><error type="modify" code="500"><undefined-condition xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`, "error/expire-at", "m2", true},
		{`<message type='error' id='m3'><amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='direct'/></amp><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error><body>x</body></message>`, KindBounce, "m3", true},
		{`<message type='error' id='m4'><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`, KindOther, "m4", true},
		{`<message id='m5' type='chat'><body>hi</body><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/></message>`, KindDelivered, "m5", true},
		{`<message id='m6'/>`, KindOther, "m6", true},
		{`<message from='localhost' to='a@localhost/r'><privilege xmlns='urn:xmpp:privilege:2'/></message>`, "", "", false},
		{`<presence from='b@localhost/r'/>`, "", "", false},
		{`<iq type='result' id='x'/>`, "", "", false},
	}
	for _, c := range cases {
		kind, id, ok := classify(c2stest.ParseStanza([]byte(c.raw)))
		if kind != c.kind || id != c.id || ok != c.ok {
			t.Errorf("%s: (%q, %q, %v), want (%q, %q, %v)", c.raw, kind, id, ok, c.kind, c.id, c.ok)
		}
	}
}
