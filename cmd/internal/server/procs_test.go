package server

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestProcLender lends and gives back processors, the default coming back
// whether the GOMAXPROCS environment variable fixes it or not.
func TestProcLender(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(orig) })
	for _, fixed := range []bool{false, true} {
		t.Run("fixed="+strconv.FormatBool(fixed), func(t *testing.T) {
			if fixed {
				runtime.GOMAXPROCS(3)
				t.Setenv("GOMAXPROCS", "3")
			} else {
				runtime.SetDefaultGOMAXPROCS() // the default is then the base
			}
			base := runtime.GOMAXPROCS(0)
			l := newProcLender()
			a := l.lend()
			waitProcs(t, base+1)
			b := l.lend()
			waitProcs(t, min(base+2, 2*base))
			a()
			a() // once only
			waitProcs(t, base+1)
			b()
			waitProcs(t, base)
			var dones []func()
			for range base + 2 {
				dones = append(dones, l.lend())
			}
			waitProcs(t, 2*base) // at most twice the default
			for _, done := range dones {
				done()
			}
			waitProcs(t, base)
		})
	}
}

// TestProcLenderDefault checks that the runtime's default, not the value
// before the lend, comes back when the environment does not fix it.
func TestProcLenderDefault(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(orig) })
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(def + 2)
	l := newProcLender()
	done := l.lend()
	waitProcs(t, def+3)
	done()
	waitProcs(t, def)
}

// waitProcs waits for GOMAXPROCS to become want, which the lender's
// goroutine sets once a collection in progress ends.
func waitProcs(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.GOMAXPROCS(0) != want {
		if time.Now().After(deadline) {
			t.Fatalf("GOMAXPROCS %d, want %d", runtime.GOMAXPROCS(0), want)
		}
		time.Sleep(time.Millisecond)
	}
}
