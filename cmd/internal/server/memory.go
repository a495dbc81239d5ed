package server

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The license-check index is most of a big tenant's heap and lives as long
// as the process: a few large slices without pointers, which the garbage
// collector marks without scanning. Go's default (GOGC=100) lets the heap
// grow past the live heap by as much again before collecting, so a
// million users' index (about 115 MB) would let as much garbage pile up
// beside it for nothing. Unless the operator set GOGC, the server sets the
// collector's percentage so that the headroom is what GOGC=100 gives the
// rest of the heap, and at least minHeadroom; after the index's first full
// load it also returns the load's garbage to the operating system.
// GOMEMLIMIT, when set, still applies on top.

// minHeadroom is the least garbage the heap may hold before a collection.
const minHeadroom = 64 << 20

// loadGCPercent is the collector's percentage until the index's first
// load ends: the load's growing slices leave their old backing arrays
// behind, which GOGC=100 would let pile up to the size of everything built
// so far (W10's start-up peak at 1 M users was 391–414 MB, against 237 MB
// once loaded). The load's slices hold no pointers, so the extra
// collections cost little.
const loadGCPercent = 25

// gcPercent returns the GOGC whose headroom over a live heap of live bytes,
// index of them the license-check index's, is max(live-index, minHeadroom):
// between 10 and 100.
func gcPercent(live, index int64) int {
	if live <= 0 {
		return 100
	}
	p := max(live-index, minHeadroom) * 100 / live
	return int(min(max(p, 10), 100))
}

// tuneGC sets the collector's percentage from the live heap and the
// index's size; with free it first collects and returns the freed memory
// to the operating system. It does nothing when GOGC is set.
func (s *Server) tuneGC(free bool) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if free {
		debug.FreeOSMemory()
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live, ix := int64(sample[0].Value.Uint64()), s.index.Bytes()
	if p := gcPercent(live, ix); debug.SetGCPercent(p) != p {
		s.log.Debug("garbage collector tuned", "gogc", p, "live_heap", live, "index", ix)
	}
}

// tuneForLoad sets the collector's percentage for the index's first load,
// which tuneGC replaces once it ends. It does nothing when GOGC is set.
func (s *Server) tuneForLoad() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(loadGCPercent)
	}
}

// retuneGC keeps the collector's percentage in step with the live heap
// after every collection, until ctx ends. A percentage set once a minute
// lagged a bulk change, whose work grows the live heap by about 3 KB a
// user while it runs: at 100 k users it went from 220 to 510 MB with the
// headroom still the quiet heap's 64–90 MB, so the collector ran ten
// times in nine seconds, each time marking the whole grown heap, and the
// checks beside it queued through every mark (docs/performance.md, wave
// 12).
func (s *Server) retuneGC(ctx context.Context) {
	defer s.wg.Done()
	collected := make(chan struct{}, 1)
	afterEachGC(ctx, collected)
	for {
		select {
		case <-ctx.Done():
			return
		case <-collected:
			if s.index.Loaded() {
				s.tuneGC(false)
			}
		}
	}
}

// afterEachGC sends on c, without waiting, after each garbage collection
// until ctx ends: a cleanup attached to an object nothing references runs
// once a collection has found it, and attaches the next one.
func afterEachGC(ctx context.Context, c chan<- struct{}) {
	type sentinel struct{ _ *byte } // holds a pointer, so it is never tiny-allocated with others
	var arm func(struct{})
	arm = func(struct{}) {
		if ctx.Err() != nil {
			return
		}
		select {
		case c <- struct{}{}:
		default:
		}
		runtime.AddCleanup(new(sentinel), arm, struct{}{})
	}
	runtime.AddCleanup(new(sentinel), arm, struct{}{})
}
