package store

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestRecoverSalvagesAndMovesAside(t *testing.T) {
	path := filledStore(t, 300)
	// Damage one record's value in place: find its checksum-protected bytes and flip one.
	b, _ := os.ReadFile(path)
	r := sample(150)
	r.Message = append(r.Message, []byte("                                                                                                                                                                                                                                                                                                            ")...)
	at := indexOf(b, AppendRecord(nil, &r)[:40])
	if at < 0 {
		t.Fatal("test: record not found in the file")
	}
	b[at+30] ^= 0x55
	os.WriteFile(path, b, 0o600)

	if _, err := Open(path, Options{}); err == nil {
		t.Fatal("Open accepted a damaged record")
	}
	var calls int
	res, err := Recover(path, time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if res.Salvaged+res.Skipped != 300 || res.Skipped < 1 || calls == 0 {
		t.Fatalf("result %+v, progress calls %d", res, calls)
	}
	if _, err := os.Stat(res.Aside); err != nil || res.Aside != path+".damaged-20261121T120000Z" {
		t.Errorf("damaged file aside at %q: %v", res.Aside, err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.Len(); n != res.Salvaged {
		t.Errorf("recovered store holds %d, want %d", n, res.Salvaged)
	}
	if _, err := s.Get(300); err != nil {
		t.Errorf("record 300 lost: %v", err)
	}
	next := sample(1)
	if s.Put(&next); next.ID != 301 {
		t.Errorf("next id after recovery = %d, want 301 (ids are never reused)", next.ID)
	}
}

func TestRecoverRefusesLockedAndUnreadable(t *testing.T) {
	s, path := openTemp(t)
	if _, err := Recover(path, time.Now(), nil); !errors.Is(err, ErrLocked) {
		t.Errorf("Recover of an open store: %v, want ErrLocked", err)
	}
	s.Close()
	os.WriteFile(path, []byte("garbage garbage garbage garbage garbage garbage garbage garbage garbage"), 0o600)
	if _, err := Recover(path, time.Now(), nil); err == nil {
		t.Error("Recover of garbage succeeded")
	}
	if b, _ := os.ReadFile(path); string(b[:7]) != "garbage" {
		t.Error("Recover touched a file it could not read")
	}
}

func indexOf(b, sub []byte) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	return -1
}
