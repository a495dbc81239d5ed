package server

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name        string
		live, index int64
		want        int
	}{
		{"no heap read yet", 0, 0, 100},
		{"a small heap: the default", 20 * mb, 0, 100},
		{"a small index: the default", 60 * mb, 10 * mb, 100},
		{"the rest is the headroom", 300 * mb, 100 * mb, 66},
		{"at least minHeadroom", 130 * mb, 115 * mb, 49},
		{"never under 10", 2000 * mb, 1990 * mb, 10},
		{"an index said larger than the heap", 100 * mb, 150 * mb, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gcPercent(tt.live, tt.index); got != tt.want {
				t.Errorf("gcPercent(%d MB, %d MB) = %d, want %d", tt.live/mb, tt.index/mb, got, tt.want)
			}
		})
	}
}

// TestTuneForLoad checks the collector's percentage while the index
// first loads: loadGCPercent, unless the operator set GOGC; and that the
// end of the load replaces it.
func TestTuneForLoad(t *testing.T) {
	t.Cleanup(func() { debug.SetGCPercent(100) })
	s := startReads(t, "admin") // loaded: its own tuning ran
	tests := []struct {
		name  string
		gogc  string // "" for unset
		start int    // the percentage before
		want  int
	}{
		{"GOGC unset", "", 100, loadGCPercent},
		{"GOGC set", "100", 77, 77},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc)
			if tt.gogc == "" {
				os.Unsetenv("GOGC")
			}
			debug.SetGCPercent(tt.start)
			s.tuneForLoad()
			if got := debug.SetGCPercent(tt.start); got != tt.want {
				t.Errorf("GOGC during the load = %d, want %d", got, tt.want)
			}
		})
	}
	os.Unsetenv("GOGC")
	debug.SetGCPercent(loadGCPercent)
	s.tuneGC(false)
	if got := debug.SetGCPercent(100); got == loadGCPercent {
		t.Errorf("GOGC after the load = %d, still the load's", got)
	}
}

// TestRetuneAfterGC checks that a loaded server sets the collector's
// percentage again after a collection, not only once a minute: a bulk
// change grows the live heap within seconds.
func TestRetuneAfterGC(t *testing.T) {
	t.Cleanup(func() { debug.SetGCPercent(100) })
	os.Unsetenv("GOGC")
	startReads(t, "admin")
	// The test's heap is far under minHeadroom: the percentage is 100.
	debug.SetGCPercent(77)
	deadline := time.Now().Add(10 * time.Second)
	for gogc() != 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC = %d ten seconds after collections began, want 100", gogc())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// gogc is the collector's percentage.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// TestAfterEachGC checks the signal: one after collections, none once
// its context has ended.
func TestAfterEachGC(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := make(chan struct{}, 1)
	afterEachGC(ctx, c)
	for range 3 {
		if !collectUntil(c, 10*time.Second) {
			t.Fatal("no signal ten seconds after collections began")
		}
	}
	cancel()
	collectUntil(c, 100*time.Millisecond) // a cleanup that ran before cancel may have sent
	if collectUntil(c, 100*time.Millisecond) {
		t.Error("a signal after the context ended")
	}
}

// collectUntil collects until c receives or d has passed, and says
// whether it received.
func collectUntil(c <-chan struct{}, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		runtime.GC()
		select {
		case <-c:
			return true
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}
