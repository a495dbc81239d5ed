package index

import (
	"context"
	"runtime"
	"testing"

	"github.com/allot-project/allot"
)

// TestBytesIsTheHeapItHolds loads 50,000 users and checks that Bytes is
// the heap the index keeps alive: what the collector frees when the index
// goes, within 2 %. A slice left out of Bytes, or counted twice,
// fails it.
func TestBytesIsTheHeapItHolds(t *testing.T) {
	src := newBenchSource(50_000)
	ix := New(allot.DemoCatalog(), src)
	if got := ix.Bytes(); got != 0 {
		t.Fatalf("an empty index: Bytes() = %d, want 0", got)
	}
	if err := ix.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := ix.Bytes()
	with := heapInUse()
	ix.mu.Lock()
	ix.tenants = map[string]*tenant{}
	ix.mu.Unlock()
	freed := with - heapInUse()
	if lo, hi := freed*49/50, freed*51/50; got < lo || got > hi {
		t.Errorf("Bytes() = %d, want the %d bytes freed without the users, within 2 %%", got, freed)
	}
	if got := ix.Bytes(); got != 0 {
		t.Errorf("without users: Bytes() = %d, want 0", got)
	}
	runtime.KeepAlive(src)
}

// heapInUse returns the bytes of live heap objects after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestOnLoad checks that each Load calls the OnLoad function once, with
// the users in place and before Loaded reports true.
func TestOnLoad(t *testing.T) {
	ix := New(allot.DemoCatalog(), newBenchSource(10))
	calls := 0
	ix.OnLoad(func() {
		calls++
		if ix.Loaded() && calls == 1 {
			t.Error("Loaded() is true before the first OnLoad call")
		}
		if got := ix.Users(); got != 10 {
			t.Errorf("in OnLoad: Users() = %d, want 10", got)
		}
	})
	for i := 0; i < 2; i++ {
		if err := ix.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("OnLoad called %d times in two loads, want 2", calls)
	}
}
