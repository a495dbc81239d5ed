package server

import (
	"os"
	"runtime"
	"sync"
	"time"
)

// The Go scheduler runs goroutines on GOMAXPROCS processors, one a core by
// default, and a goroutine keeps its processor until it blocks, yields or
// is preempted (about every 10 ms). A transaction that computes for seconds
// (a bulk change of 100 000 users, and the reader that reads its users'
// data beside it) yields every millisecond, yet on two cores the license
// checks answered meanwhile still queued behind it, the collector's worker
// and each other: W5's checks had a p50 of 1–24 ms and a p99 of 98–262 ms.
// So each such transaction lends the scheduler one more processor while it
// runs: the kernel then shares the cores between more threads, and wakes a
// thread with a check to answer ahead of one that has computed for a
// while. W5's checks: p50 0.2 ms, p99 22–116 ms, median 36
// (docs/performance.md, wave 14).

// lender is the process's lender: GOMAXPROCS is the process's, so every
// server of the process shares it.
var lender = newProcLender()

// procLender sets GOMAXPROCS to its default plus one for each long work
// running (sqlstore's DB.OnLongWork), at most twice the default.
type procLender struct {
	mu   sync.Mutex
	busy int
	wake chan struct{}
	once sync.Once
}

func newProcLender() *procLender {
	return &procLender{wake: make(chan struct{}, 1)}
}

// lend counts one more long work until done is called (more calls of done
// do nothing). It does not wait for the processor: runtime.GOMAXPROCS
// waits for a collection in progress to end, so a goroutine of the lender
// sets it.
func (l *procLender) lend() (done func()) {
	l.once.Do(func() { go l.run() })
	l.add(1)
	var once sync.Once
	return func() { once.Do(func() { l.add(-1) }) }
}

func (l *procLender) add(n int) {
	l.mu.Lock()
	l.busy += n
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run follows the count of long work for the life of the process. It
// gives processors back only once linger has passed since it last lent
// one, so that a stream of requests of a few milliseconds each (an admin
// page of a large tenant) does not stop the world at each. The default is
// read again whenever nothing is lent; with nothing lent the runtime's
// default comes back (it follows the CPU limit of the process's cgroup),
// unless the GOMAXPROCS environment variable fixes it.
func (l *procLender) run() {
	_, fixed := os.LookupEnv("GOMAXPROCS")
	base, lent := 0, 0
	var raised time.Time
	later := time.NewTimer(time.Hour)
	later.Stop()
	for {
		select {
		case <-l.wake:
		case <-later.C:
		}
		l.mu.Lock()
		busy := l.busy
		l.mu.Unlock()
		if lent == 0 {
			base = runtime.GOMAXPROCS(0)
		}
		want := min(busy, base)
		if want < lent {
			if wait := linger - time.Since(raised); wait > 0 {
				later.Reset(wait)
				continue
			}
		}
		switch {
		case want == lent:
		case want == 0 && !fixed:
			runtime.SetDefaultGOMAXPROCS()
		default:
			runtime.GOMAXPROCS(base + want)
		}
		if want > lent {
			raised = time.Now()
		}
		lent = want
	}
}

// linger is how long the lender keeps a processor it lent before giving
// it back.
const linger = 50 * time.Millisecond
