package main

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ampd-xmpp/ampd/xmlscan"
)

// expireAtLayout is XEP-0082 DateTime in UTC with milliseconds.
const expireAtLayout = "2006-01-02T15:04:05.000Z"

// heldPeer is a recipient that is offline at first and comes online at onlineAt; it gets held
// messages only before then.
type heldPeer struct {
	*peer
	onlineAt time.Time
}

// classWeights is the traffic mix.
var classWeights = []struct {
	class  Class
	weight int
}{
	{OnlineNotify, 30}, {OnlineAlert, 10}, {OnlineError, 10}, {OnlineDrop, 10},
	{OfflineNotify, 10}, {Held, 30},
}

func pickClass(rng *rand.Rand) Class {
	total := 0
	for _, w := range classWeights {
		total += w.weight
	}
	n := rng.IntN(total)
	for _, w := range classWeights {
		if n < w.weight {
			return w.class
		}
		n -= w.weight
	}
	return OnlineNotify
}

// sendOne sends one message of class from snd to a recipient of that class drawn from the
// traffic seed; a held message with no recipient still offline becomes an online notify.
// The caller holds s.pause (read or write).
func (s *soak) sendOne(snd *peer, class Class) {
	s.trafficMu.Lock()
	defer s.trafficMu.Unlock()
	rng := s.traffic
	now := time.Now()
	m := Message{From: snd.full(), Class: class, Sent: now}
	var rule string
	switch class {
	case OnlineNotify, OnlineAlert, OnlineError, OnlineDrop:
		m.To = s.online[rng.IntN(len(s.online))].bare()
		action := strings.TrimPrefix(string(class), "online-")
		rule = ruleXML(action, "deliver", "direct")
	case OfflineNotify:
		m.To = s.stored[rng.IntN(len(s.stored))].bare()
		rule = ruleXML("notify", "deliver", "stored")
	case Held:
		var open []*heldPeer
		for _, h := range s.held {
			if now.Before(h.onlineAt.Add(-time.Second)) {
				open = append(open, h)
			}
		}
		if len(open) == 0 {
			s.trafficMu.Unlock()
			s.sendOne(snd, OnlineNotify)
			s.trafficMu.Lock()
			return
		}
		h := open[rng.IntN(len(open))]
		m.To = h.bare()
		m.ExpireAction = []string{"notify", "alert", "error", "drop"}[rng.IntN(4)]
		// Deadlines inside the run, before or after the recipient comes online.
		latest := s.end.Add(-5 * time.Second)
		m.Deadline = now.Add(2*time.Second + time.Duration(rng.Int64N(int64(40*time.Second))))
		if m.Deadline.After(latest) {
			m.Deadline = latest
		}
		if m.Deadline.Before(now.Add(time.Second)) {
			m.Deadline = now.Add(time.Second)
		}
		rule = ruleXML("notify", "deliver", "stored") + ruleXML(m.ExpireAction, "expire-at", m.Deadline.UTC().Format(expireAtLayout))
	}
	s.seq++
	m.ID = fmt.Sprintf("chaos-%d", s.seq)
	m.Raw = "<message to='" + esc(m.To) + "' id='" + m.ID + "' type='chat'><body>chaos " + m.ID + " " + string(class) +
		"</body><amp xmlns='" + nsAMP + "'>" + rule + "</amp></message>"
	s.led.sent(m)
	if err := snd.send(m.Raw); err != nil {
		// Not accepted: the write failed, so the server cannot have it. Say so in its story.
		s.led.seen(m.ID, Observation{Kind: KindOther, At: time.Now(), Client: snd.full(), Raw: "send failed: " + err.Error()})
		slog.Error("send failed", "id", m.ID, "err", err)
	}
}

func ruleXML(action, condition, value string) string {
	return "<rule action='" + action + "' condition='" + condition + "' value='" + esc(value) + "'/>"
}

func esc(s string) string { return string(xmlscan.AppendEscaped(nil, s)) }
