// Package storetest is the test suite every store backend passes (store.Backend): the
// embedded file and PostgreSQL run the same tests, so that held messages have the same
// guarantees whichever one an operator picks.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ampd-xmpp/ampd/store"
)

// Opener opens one store. Every call opens the same store again (after the previous one was
// closed), read-only or not, as a restart of ampd or `ampd held list` would.
type Opener func(readOnly bool) (store.Backend, error)

// Fresh returns the opener of a new, empty store for one test.
type Fresh func(t *testing.T) Opener

// Run runs the suite against the backend that fresh makes.
func Run(t *testing.T, fresh Fresh) {
	tests := []struct {
		name string
		f    func(t *testing.T, open Opener)
	}{
		{"PutGetUpdateDelete", testPutGetUpdateDelete},
		{"RecordsKeepEveryField", testRecordsKeepEveryField},
		{"IDsAreNeverReused", testIDsAreNeverReused},
		{"ApplyIsAllOrNothing", testApplyIsAllOrNothing},
		{"PutAllAssignsIDsInOrder", testPutAllAssignsIDsInOrder},
		{"ForEachInIDOrderStopsAtError", testForEachInIDOrder},
		{"ConcurrentPuts", testConcurrentPuts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, fresh(t)) })
	}
}

// Sample is a held record with every field set; n varies the route and the time.
func Sample(n int) store.Record {
	return store.Record{
		Host: "example.org", Route: "r" + strings.Repeat("x", n%3), Recipient: "bob@example.org",
		Message:   []byte("<message xmlns='jabber:client' to='bob@example.org' id='m'><amp xmlns='http://jabber.org/protocol/amp'/></message>"),
		Received:  time.Date(2026, 11, 21, 12, 0, n%60, 5, time.UTC),
		Deadlines: []store.Deadline{{Rule: 0, At: time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC)}, {Rule: 2, At: time.Date(2027, 1, 1, 0, 0, 0, 999, time.UTC)}},
		Fired:     []int{2},
		State:     store.Held,
		Rule:      -1,
	}
}

func mustOpen(t *testing.T, open Opener, readOnly bool) store.Backend {
	t.Helper()
	s, err := open(readOnly)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testPutGetUpdateDelete(t *testing.T, open Opener) {
	s := mustOpen(t, open, false)
	a, b := Sample(1), Sample(2)
	if err := s.Put(&a); err != nil || a.ID != 1 {
		t.Fatalf("Put: id %d, err %v", a.ID, err)
	}
	if err := s.Put(&b); err != nil || b.ID != 2 {
		t.Fatalf("Put: id %d, err %v", b.ID, err)
	}
	a.State, a.Rule = store.Expiring, 0
	if err := s.Update(&a); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	if err := s.Update(&b); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Update of a deleted record: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a deleted record: %v, want ErrNotFound", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, open, true)
	defer s.Close()
	got, err := s.Get(a.ID)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("after reopen: %+v, %v; want %+v", got, err, a)
	}
	if n, err := s.Len(); n != 1 || err != nil {
		t.Errorf("Len = %d, %v; want 1", n, err)
	}
	if err := s.Put(&b); err == nil {
		t.Error("Put on a read-only store succeeded")
	}
	if err := s.Delete(a.ID); err == nil {
		t.Error("Delete on a read-only store succeeded")
	}
}

func testRecordsKeepEveryField(t *testing.T, open Opener) {
	s := mustOpen(t, open, false)
	defer s.Close()
	records := []store.Record{
		Sample(0),
		{Host: "h", Recipient: "r@h", Message: []byte{}, Received: time.Unix(0, 1).UTC(), State: store.Releasing, Rule: -1},
		{Host: "h", Route: "route with spaces and ünïcode", Recipient: "r@h", Message: []byte("\x00binary\xff"), Received: time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC), State: store.Expiring, Rule: 3,
			Deadlines: []store.Deadline{{Rule: 3, At: time.Date(2100, 1, 1, 0, 0, 0, 1, time.UTC)}}},
	}
	for i := range records {
		if err := s.Put(&records[i]); err != nil {
			t.Fatal(err)
		}
	}
	var got []store.Record
	if err := s.ForEach(func(r store.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(records) {
		t.Fatalf("ForEach gave %d records, want %d", len(got), len(records))
	}
	for i := range records {
		want := records[i]
		if len(want.Message) == 0 {
			want.Message = nil // an empty message decodes as nil
		}
		if len(got[i].Message) == 0 {
			got[i].Message = nil
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
}

func testIDsAreNeverReused(t *testing.T, open Opener) {
	s := mustOpen(t, open, false)
	for range 3 {
		r := Sample(0)
		if err := s.Put(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(3); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, open, false)
	defer s.Close()
	r := Sample(0)
	if err := s.Put(&r); err != nil || r.ID != 4 {
		t.Errorf("Put after deleting the last record and reopening: id %d, %v; want 4 (ids are never reused)", r.ID, err)
	}
}

func testApplyIsAllOrNothing(t *testing.T, open Opener) {
	s := mustOpen(t, open, false)
	defer s.Close()
	rs := make([]store.Record, 3)
	for i := range rs {
		rs[i] = Sample(i)
		if err := s.Put(&rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	changed := rs[0]
	changed.State, changed.Rule = store.Expiring, 0
	missing := Sample(9)
	missing.ID = 99
	if err := s.Apply([]*store.Record{&changed, &missing}, []uint64{rs[1].ID}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Apply with a missing update: %v, want ErrNotFound", err)
	}
	if err := s.Apply([]*store.Record{&changed}, []uint64{rs[1].ID, 99}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Apply with a missing delete: %v, want ErrNotFound", err)
	}
	for _, r := range rs {
		if got, err := s.Get(r.ID); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("record %d after a refused Apply: %+v, %v; want it unchanged", r.ID, got, err)
		}
	}
	if err := s.Apply([]*store.Record{&changed}, []uint64{rs[1].ID, rs[2].ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(changed.ID); !reflect.DeepEqual(got, changed) {
		t.Errorf("updated record: %+v, want %+v", got, changed)
	}
	if n, _ := s.Len(); n != 1 {
		t.Errorf("Len = %d after deleting two of three", n)
	}
	if err := s.Apply(nil, nil); err != nil {
		t.Errorf("empty Apply: %v", err)
	}
}

func testPutAllAssignsIDsInOrder(t *testing.T, open Opener) {
	s := mustOpen(t, open, false)
	defer s.Close()
	first := Sample(0)
	if err := s.Put(&first); err != nil {
		t.Fatal(err)
	}
	rs := make([]*store.Record, 50)
	for i := range rs {
		r := Sample(i)
		rs[i] = &r
	}
	if err := s.PutAll(rs); err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.ID != uint64(i+2) {
			t.Fatalf("record %d of PutAll got id %d, want %d", i, r.ID, i+2)
		}
		if got, err := s.Get(r.ID); err != nil || !reflect.DeepEqual(got, *r) {
			t.Fatalf("Get(%d) = %+v, %v", r.ID, got, err)
		}
	}
}

func testForEachInIDOrder(t *testing.T, open Opener) {
	s := mustOpen(t, open, false)
	defer s.Close()
	for i := range 20 {
		r := Sample(i)
		if err := s.Put(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(7); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	if err := s.ForEach(func(r store.Record) error { ids = append(ids, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 19 {
		t.Fatalf("ForEach visited %d records, want 19", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ForEach order %v is not by ID", ids)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.ForEach(func(store.Record) error {
		if n++; n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Errorf("ForEach after f's error: %v after %d calls; want f's error after 5", err, n)
	}
}

func testConcurrentPuts(t *testing.T, open Opener) {
	s := mustOpen(t, open, false)
	defer s.Close()
	const workers, each = 4, 25
	var mu sync.Mutex
	ids := map[uint64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := Sample(w*each + i)
				if err := s.Put(&r); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if ids[r.ID] {
					errs <- fmt.Errorf("id %d given twice", r.ID)
				}
				ids[r.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := s.Len(); n != workers*each || len(ids) != workers*each {
		t.Errorf("Len = %d, distinct ids %d; want %d", n, len(ids), workers*each)
	}
}
