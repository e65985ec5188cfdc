package presence

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// million is the table size the memory target is set for.
const million = 1_000_000

// fill applies n available resources shaped like a real deployment: bare JIDs like
// user123456@chat.example.org, resource names like phone-5f3a9c21; one user in four has a
// second resource. The strings are built here and kept by the table, as Parse's are in ampd.
// Nothing else is kept, so that the process's RSS afterwards is the table's.
func fill(t *Table, n int) {
	for user, added := 0, 0; added < n; user++ {
		bare := "user" + strconv.Itoa(user) + "@chat.example.org"
		t.Apply(Update{Bare: bare, Resource: "phone-" + strconv.FormatUint(uint64(user)*2654435761%(1<<32), 16), Available: true})
		added++
		if user%4 == 0 && added < n {
			t.Apply(Update{Bare: bare, Resource: "desktop-" + strconv.Itoa(user), Available: true, Priority: 5})
			added++
		}
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rssBytes returns the resident set size of this process from /proc (0 where there is none).
func rssBytes() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// BenchmarkTable1M fills a table with a million available resources and reports the live heap
// they take per resource (B/resource, strings included), the whole table in MiB, and the
// process's resident set size afterwards (MiB-RSS: runtime and test binary included).
// Run it alone, once: go test -run '^$' -bench Table1M -benchtime 1x ./presence
func BenchmarkTable1M(b *testing.B) {
	for b.Loop() {
		before := heapInUse()
		t := NewTable()
		fill(t, million)
		after := heapInUse()
		if t.Len() != million {
			b.Fatalf("table has %d resources, want %d", t.Len(), million)
		}
		b.ReportMetric(float64(after-before)/million, "B/resource")
		b.ReportMetric(float64(after-before)/(1<<20), "MiB-table")
		b.ReportMetric(float64(rssBytes())/(1<<20), "MiB-RSS")
		runtime.KeepAlive(t)
	}
}

// BenchmarkApply measures adding and removing a resource in a table of 100,000 users.
func BenchmarkApply(b *testing.B) {
	t := NewTable()
	fill(t, 100_000)
	on := Update{Bare: "user42@chat.example.org", Resource: "tablet", Available: true}
	off := on
	off.Available = false
	for b.Loop() {
		t.Apply(on)
		t.Apply(off)
	}
}

// BenchmarkResources measures the lookup every AMP decision makes.
func BenchmarkResources(b *testing.B) {
	t := NewTable()
	fill(t, 100_000)
	for b.Loop() {
		if len(t.Resources("user4242@chat.example.org")) == 0 {
			b.Fatal("user4242 has no resource")
		}
	}
}
