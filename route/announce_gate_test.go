package route

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type announces struct {
	mu  sync.Mutex
	got []string
}

func (a *announces) add(host string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, host)
}

var quiet = slog.New(slog.DiscardHandler)

func (a *announces) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.got)
}

// Each host is announced once per connection, when its privilege arrives; unknown hosts and
// repeated privileges announce nothing, and nothing is announced before a connection.
func TestAnnounceGateOnPrivilege(t *testing.T) {
	var a announces
	g := NewAnnounceGate([]string{"a", "b"}, time.Hour, quiet, a.add)
	g.Privileged("a") // before any connection: ignored
	g.Connected()
	g.Privileged("b")
	g.Privileged("b")
	g.Privileged("stranger")
	if got, want := a.list(), []string{"b"}; !slices.Equal(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}
	if got := g.Announced(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Announced() = %v, want [b]", got)
	}
	g.Privileged("a")
	if got := g.Announced(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Announced() = %v, want [a b] (configuration order)", got)
	}
	g.Reannounce() // a reload: both again, in configuration order
	if got, want := a.list(), []string{"b", "a", "a", "b"}; !slices.Equal(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}
	g.Disconnected()
	if got := g.Announced(); len(got) != 0 {
		t.Fatalf("after a disconnect Announced() = %v, want none", got)
	}
	g.Connected() // a new connection announces each host again
	g.Privileged("a")
	if got, want := a.list(), []string{"b", "a", "a", "b", "a"}; !slices.Equal(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}
	g.Disconnected()
}

// A host whose privilege never arrives is announced when the wait runs out, with a warning; a
// host already announced is not announced again, and a timer of an earlier connection does
// nothing on the next.
func TestAnnounceGateWait(t *testing.T) {
	var a announces
	var logged syncBuffer
	g := NewAnnounceGate([]string{"a", "b"}, 50*time.Millisecond, slog.New(slog.NewTextHandler(&logged, nil)), a.add)
	g.Connected()
	g.Privileged("a")
	deadline := time.Now().Add(10 * time.Second)
	for len(a.list()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got, want := a.list(), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}
	if l := logged.String(); strings.Count(l, "level=WARN") != 1 || !strings.Contains(l, "host=b") || !strings.Contains(l, "privileged_entities") {
		t.Fatalf("want one warning naming host b and the fix, logged:\n%s", l)
	}

	var c announces
	g = NewAnnounceGate([]string{"a"}, 50*time.Millisecond, quiet, c.add)
	g.Connected()
	g.Disconnected() // the first connection's timer must not announce on the second
	g.Connected()
	g.Privileged("a")
	time.Sleep(150 * time.Millisecond)
	if got, want := c.list(), []string{"a"}; !slices.Equal(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}
	g.Disconnected()
}

// syncBuffer is a bytes.Buffer safe for the timer's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
