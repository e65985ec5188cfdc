package store

import (
	"testing"
	"time"
)

// FuzzStoreRecord checks that decoding never panics and that whatever decodes re-encodes to
// the same bytes.
func FuzzStoreRecord(f *testing.F) {
	r := sample(1)
	f.Add(AppendRecord(nil, &r))
	f.Add(AppendRecord(nil, &Record{State: Expiring, Rule: 0, Received: time.Unix(0, 0)}))
	f.Add([]byte("AMPH\x01\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(1, b)
		if err != nil {
			return
		}
		if got := AppendRecord(nil, &r); string(got) != string(b) {
			t.Fatalf("re-encoding differs:\n got %q\nwant %q", got, b)
		}
	})
}
