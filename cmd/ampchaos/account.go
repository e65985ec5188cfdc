package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Class is what a message asks for and where it goes: it fixes the outcomes the spec
// (amp-semantics.md) allows for it.
type Class string

const (
	// OnlineNotify: notify deliver=direct to an online recipient → notify, delivered.
	OnlineNotify Class = "online-notify"
	// OnlineAlert, OnlineError, OnlineDrop: that action with deliver=direct to an online
	// recipient → the alert / the error reply / nothing; never delivered.
	OnlineAlert Class = "online-alert"
	OnlineError Class = "online-error"
	OnlineDrop  Class = "online-drop"
	// OfflineNotify: notify deliver=stored to a recipient who logs in only at the end → notify,
	// then delivered from the server's offline storage.
	OfflineNotify Class = "offline-notify"
	// Held: notify deliver=stored, then ACTION expire-at T, to an offline recipient who comes
	// online at some time inside the run → held by ampd, then released or expired.
	Held Class = "held"
)

// Observation kinds. A reply's kind is its status and the condition of the rule it names
// ("notify/deliver", "alert/expire-at"), so that two notifies of different rules differ.
const (
	KindDelivered = "delivered"   // the recipient got the message
	KindBounce    = "bounce"      // service-unavailable: the module gave up
	KindOther     = "unexplained" // a message with the id that is none of the above
)

// Message is one AMP request the soak sent.
type Message struct {
	ID, From, To string
	Class        Class
	Sent         time.Time
	// Held only: the expire-at rule's action and deadline, and when the recipient sent its
	// available presence (zero: not before the end of the run).
	ExpireAction string
	Deadline     time.Time
	OnlineAt     time.Time
	// SenderAway are the times the sender's session was down (server restarts: from the
	// restart to the new login).
	SenderAway []Window
	// Raw is the stanza as sent.
	Raw string
}

// Window is a span of time.
type Window struct{ From, To time.Time }

// expiryReplyMayBeLost: ampd sends the reply of an expired alert or error rule to the sender's
// full JID at the deadline (or again once it is connected after a server restart). While a
// server restart has the sender's session down, that reply can die with it: routed into a
// session the stopping server is closing (no stream management to resend it), or — a
// type='error' message — dropped for want of the session (RFC 6121 §8.5.3.2.1; errors are never
// stored offline). The window runs from a second before the restart to the senders' new login.
func expiryReplyMayBeLost(m Message) bool {
	if m.ExpireAction != "error" && m.ExpireAction != "alert" {
		return false
	}
	for _, w := range m.SenderAway {
		if !m.Deadline.Before(w.From.Add(-time.Second)) && !m.Deadline.After(w.To) {
			return true
		}
	}
	return false
}

// Observation is one stanza a client received about a message.
type Observation struct {
	Kind   string
	At     time.Time
	Client string // the full JID that received it
	Raw    string
}

// Story is a message and everything received for it.
type Story struct {
	Message
	Seen []Observation
}

// Verdict is the accounting of one story.
type Verdict struct {
	// Complete: the observations are exactly one outcome the spec allows.
	Complete bool
	// Outcome names it when Complete ("delivered+notify", "bounced", …).
	Outcome string
	// At most one of these is true when not Complete; none when Complete.
	Lost, Duplicated, Unexplained bool
	// Why says what is wrong, for the failure report.
	Why string
}

// outcome is one allowed multiset of observation kinds, each exactly once.
type outcome struct {
	name  string
	kinds []string
}

// allowed lists the outcomes the spec allows for m: each is "exactly these kinds, once each".
// Every class may also have been bounced (the module gave up: pending timeout, or ampd away
// past the grace), and then nothing else may arrive.
func allowed(m Message) []outcome {
	bounce := outcome{"bounced", []string{KindBounce}}
	switch m.Class {
	case OnlineNotify:
		return []outcome{{"delivered+notify", []string{"notify/deliver", KindDelivered}}, bounce}
	case OnlineAlert:
		return []outcome{{"alerted", []string{"alert/deliver"}}, bounce}
	case OnlineError:
		return []outcome{{"error-replied", []string{"error/deliver"}}, bounce}
	case OnlineDrop:
		return []outcome{{"dropped", nil}, bounce}
	case OfflineNotify:
		return []outcome{{"stored+notify", []string{"notify/deliver", KindDelivered}}, bounce}
	case Held:
		return heldOutcomes(m, bounce)
	}
	return []outcome{bounce}
}

// heldOutcomes: the deliver=stored notify comes when the message is held (the recipient was
// offline when ampd decided); it is missing when the recipient was already online then (a
// request kept through an ampd restart). Then the message is either released (delivered) or
// expired (the expire-at rule's action; for notify the message stays held and is delivered
// too).
func heldOutcomes(m Message, bounce outcome) []outcome {
	a := m.ExpireAction
	var ends []outcome
	released := outcome{"released", []string{KindDelivered}}
	switch a {
	case "notify":
		ends = []outcome{released, {"expired", []string{"notify/expire-at", KindDelivered}}}
	case "drop":
		ends = []outcome{released, {"expired", nil}}
	default: // alert, error
		ends = []outcome{released, {"expired", []string{a + "/expire-at"}}}
		if expiryReplyMayBeLost(m) {
			ends = append(ends, outcome{"expired, reply lost in a server restart", nil})
		}
	}
	// A release after the deadline is a spec violation: the dispatch time is the release, at
	// or after the recipient's presence (§7: released only if not expired).
	late := !m.OnlineAt.IsZero() && m.OnlineAt.After(m.Deadline) && a != "notify"
	var out []outcome
	for _, e := range ends {
		if late && e.name == "released" {
			continue
		}
		out = append(out, outcome{"held+" + e.name, append([]string{"notify/deliver"}, e.kinds...)})
		out = append(out, outcome{"direct+" + e.name, e.kinds})
	}
	return append(out, bounce)
}

// Judge accounts for one story: complete (one allowed outcome, each part once), or lost
// (a part of an allowed outcome is missing and nothing is extra), duplicated (something
// arrived twice, or two outcomes arrived), or unexplained (a stanza no outcome allows).
func Judge(s Story) Verdict {
	counts := map[string]int{}
	for _, o := range s.Seen {
		counts[o.Kind]++
	}
	outs := allowed(s.Message)
	for _, o := range outs {
		if sameKinds(counts, o.kinds) {
			return Verdict{Complete: true, Outcome: o.name}
		}
	}
	possible := map[string]bool{}
	for _, o := range outs {
		for _, k := range o.kinds {
			possible[k] = true
		}
	}
	var extra, twice []string
	for k, n := range counts {
		if !possible[k] {
			extra = append(extra, k)
		} else if n > 1 {
			twice = append(twice, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	sort.Strings(extra)
	sort.Strings(twice)
	switch {
	case len(extra) > 0:
		why := "received " + strings.Join(extra, ", ") + ", which no allowed outcome of a " + string(s.Class) + " message has"
		if s.Class == Held && !s.OnlineAt.IsZero() && s.OnlineAt.After(s.Deadline) {
			why += fmt.Sprintf(" (the recipient came online %v after the deadline: the message must have expired)", s.OnlineAt.Sub(s.Deadline).Round(time.Millisecond))
		}
		return Verdict{Unexplained: true, Why: why}
	case len(twice) > 0:
		return Verdict{Duplicated: true, Why: "received " + strings.Join(twice, ", ")}
	}
	// Every kind seen is possible and seen once: a subset of some outcome is lost, a mix of two
	// outcomes (a bounce and a delivery) is a duplicate answer.
	for _, o := range outs {
		if subsetOf(counts, o.kinds) {
			return Verdict{Lost: true, Why: "incomplete: have " + describe(counts) + ", want " + o.name + " (" + strings.Join(o.kinds, ", ") + ")"}
		}
	}
	return Verdict{Duplicated: true, Why: "two outcomes at once: " + describe(counts)}
}

// Settled reports whether the story's message no longer depends on anything that a server
// restart could lose: decided by ampd (an outcome complete, or held: the deliver=stored notify
// comes only after ampd's store has it), or waiting only for the recipient's login to the
// server's offline storage.
func Settled(s Story) bool {
	if v := Judge(s); v.Complete && len(s.Seen) > 0 {
		return true
	}
	for _, o := range s.Seen {
		if o.Kind == KindBounce || o.Kind == "notify/deliver" && (s.Class == Held || s.Class == OfflineNotify) {
			return true
		}
	}
	return false
}

func sameKinds(counts map[string]int, kinds []string) bool {
	if len(counts) != len(kinds) {
		return false
	}
	for _, k := range kinds {
		if counts[k] != 1 {
			return false
		}
	}
	return true
}

func subsetOf(counts map[string]int, kinds []string) bool {
	in := map[string]bool{}
	for _, k := range kinds {
		in[k] = true
	}
	for k := range counts {
		if !in[k] {
			return false
		}
	}
	return true
}

func describe(counts map[string]int) string {
	if len(counts) == 0 {
		return "nothing"
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
