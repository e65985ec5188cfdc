package main

import (
	"sort"
	"sync"
	"time"
)

// ledger is every message sent and every stanza received, by message id; faults are kept
// beside them so that a failing message's story can name the faults around it.
type ledger struct {
	mu      sync.Mutex
	stories map[string]*Story
	order   []string            // ids in sending order
	bySend  map[string][]string // sender full JID → its ids in order
	strays  []Observation       // stanzas that name no message sent
	faults  []faultEvent
	away    []Window // the senders' sessions were down (server restarts)
}

// faultEvent is one injected fault, from its start to the end of its recovery.
type faultEvent struct {
	Kind       string
	Start, End time.Time
	Detail     string
}

func newLedger() *ledger {
	return &ledger{stories: map[string]*Story{}, bySend: map[string][]string{}}
}

func (l *ledger) sent(m Message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stories[m.ID] = &Story{Message: m}
	l.order = append(l.order, m.ID)
	l.bySend[m.From] = append(l.bySend[m.From], m.ID)
}

// seen files an observation under id; an id the soak never sent makes it a stray.
func (l *ledger) seen(id string, o Observation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.stories[id]; ok {
		s.Seen = append(s.Seen, o)
		return
	}
	l.strays = append(l.strays, o)
}

// recipientOnline records when a held-class recipient sent its available presence.
func (l *ledger) recipientOnline(bare string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.stories {
		if s.Class == Held && s.To == bare && s.OnlineAt.IsZero() {
			s.OnlineAt = at
		}
	}
}

// sendersAway records that every session was down in w.
func (l *ledger) sendersAway(w Window) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.away = append(l.away, w)
}

func (l *ledger) fault(f faultEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faults = append(l.faults, f)
}

// unsettled counts the messages that a server restart could still lose (see Settled). A
// message with nothing to observe yet (a drop) is settled once a later message of the same
// sender is: the module diverts a session's requests in order and ampd answers in order.
func (l *ledger) unsettled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ids := range l.bySend {
		later := false
		for i := len(ids) - 1; i >= 0; i-- {
			if Settled(*l.stories[ids[i]]) {
				later = true
				continue
			}
			if !later {
				n++
			}
		}
	}
	return n
}

// incomplete counts the messages whose observations are not yet one allowed outcome.
func (l *ledger) incomplete() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.stories {
		st := *s
		st.SenderAway = l.away
		if !Judge(st).Complete {
			n++
		}
	}
	return n
}

// snapshot copies the stories in sending order, the strays and the faults.
func (l *ledger) snapshot() ([]Story, []Observation, []faultEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Story, 0, len(l.order))
	for _, id := range l.order {
		s := *l.stories[id]
		s.SenderAway = append([]Window(nil), l.away...)
		s.Seen = append([]Observation(nil), s.Seen...)
		sort.SliceStable(s.Seen, func(i, j int) bool { return s.Seen[i].At.Before(s.Seen[j].At) })
		out = append(out, s)
	}
	return out, append([]Observation(nil), l.strays...), append([]faultEvent(nil), l.faults...)
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.order)
}
