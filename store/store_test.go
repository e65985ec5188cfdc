package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sample(n int) Record {
	return Record{
		Host: "example.org", Route: "r" + strings.Repeat("x", n%3), Recipient: "bob@example.org",
		Message:   []byte("<message xmlns='jabber:client' to='bob@example.org' id='m'><amp xmlns='http://jabber.org/protocol/amp'/></message>"),
		Received:  time.Date(2026, 11, 21, 12, 0, n, 5, time.UTC),
		Deadlines: []Deadline{{Rule: 0, At: time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC)}, {Rule: 2, At: time.Date(2027, 1, 1, 0, 0, 0, 999, time.UTC)}},
		Fired:     []int{2},
		State:     Held,
		Rule:      -1,
	}
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "held.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []Record{sample(0), {State: Expiring, Rule: 3, Received: time.Unix(0, 0).UTC()}, {State: Releasing, Rule: -1, Received: time.Unix(0, 0).UTC()}} {
		r.ID = 7
		got, err := DecodeRecord(7, AppendRecord(nil, &r))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
		}
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	r := sample(1)
	good := AppendRecord(nil, &r)
	tests := map[string][]byte{
		"empty":                 nil,
		"magic":                 append([]byte("XMPH"), good[4:]...),
		"truncated":             good[:len(good)-1],
		"bit flip":              func() []byte { b := append([]byte(nil), good...); b[20] ^= 1; return b }(),
		"bad state":             AppendRecord(nil, &Record{State: 9, Rule: -1}),
		"expiring without rule": AppendRecord(nil, &Record{State: Expiring, Rule: -1}),
	}
	for name, b := range tests {
		if _, err := DecodeRecord(1, b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestOpenLockedFails(t *testing.T) {
	_, path := openTemp(t)
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "stop ampd") {
		t.Errorf("second Open: %v; want ErrLocked naming the file and saying to stop ampd", err)
	}
}

func TestOpenDamaged(t *testing.T) {
	tests := map[string]func(b []byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:len(b)/2] },
		"meta pages":  func(b []byte) []byte { clear(b[:8192]); return b },
		"not a store": func(b []byte) []byte { return []byte(strings.Repeat("garbage ", 2000)) },
	}
	for name, damage := range tests {
		t.Run(name, func(t *testing.T) {
			path := filledStore(t, 200)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, damage(b), 0o600)
			_, err := Open(path, Options{})
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "ampd held recover") {
				t.Fatalf("Open: %v; want a CorruptError naming the file and the recovery command", err)
			}
		})
	}
}

// filledStore returns the path of a closed store with n records.
func filledStore(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "held.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := make([]Record, n)
	for i := range rs {
		rs[i] = sample(i)
		rs[i].ID = uint64(i + 1)
		rs[i].Message = append(rs[i].Message, strings.Repeat(" ", 300)...)
	}
	if err := s.putAll(rs); err != nil {
		t.Fatal(err)
	}
	s.Close()
	return path
}
