// Package loadgen is allot's load generator: it runs an operation (usually
// one HTTP request) many times, either in a closed loop (N workers, each
// sending its next request as soon as the previous one is answered: the
// way to measure throughput) or in an open loop at a fixed rate (requests
// leave on a schedule whatever the answers do: the way to measure latency).
//
// In the open loop the latency of a request is measured from the time the
// schedule meant to send it, not from the time it was sent, so that a
// stalled server is charged for the requests it kept waiting (the
// "coordinated omission" a closed loop suffers from). The schedule is kept
// by a pacer on its own OS thread sleeping with nanosleep, because the Go
// runtime's timers only wake about once a millisecond on Linux, which
// would add up to a millisecond of the generator's own lateness to every
// request; the lateness that remains is reported as PacerP99.
//
// Every latency is kept, so the percentiles of a Result are exact.
package loadgen

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Op is one operation of a load: it returns nil on success. w identifies
// the worker running it and carries that worker's random source, which
// needs no locking.
type Op func(ctx context.Context, w *Worker) error

// Worker is one of the goroutines sending the load.
type Worker struct {
	ID   int
	Rand *rand.Rand
	// Start is when the current operation started or, in an open loop,
	// was scheduled to: an operation that keeps latencies of its own (per
	// kind of request, say) measures them from it.
	Start time.Time
	lat   []time.Duration
	errs  int64
	ops   int64
	err   error
}

// Result is the outcome of a run.
type Result struct {
	Ops       int64           // operations completed in the measured window, errors included
	Errors    int64           // operations that returned an error
	Dropped   int64           // open loop: scheduled but never sent, the run having overrun its grace period
	Elapsed   time.Duration   // length of the measured window
	Latencies []time.Duration // every latency of the window, sorted
	FirstErr  error           // the first error seen, for the report
	PacerP99  time.Duration   // open loop: 99th percentile of the pacer's own lateness
}

// Throughput returns the successful operations per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops-r.Errors) / r.Elapsed.Seconds()
}

// Quantile returns the latency below which a fraction q (0 < q ≤ 1) of the
// operations fall, by the nearest-rank method; 0 without operations.
func (r *Result) Quantile(q float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	return r.Latencies[min(max(i, 0), n-1)]
}

// Max returns the largest latency.
func (r *Result) Max() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[len(r.Latencies)-1]
}

// merge gathers the workers' counts and latencies into r.
func (r *Result) merge(workers []*Worker) {
	n := 0
	for _, w := range workers {
		n += len(w.lat)
	}
	r.Latencies = make([]time.Duration, 0, n)
	for _, w := range workers {
		r.Latencies = append(r.Latencies, w.lat...)
		r.Ops += w.ops
		r.Errors += w.errs
		if r.FirstErr == nil && w.err != nil {
			r.FirstErr = w.err
		}
	}
	slices.Sort(r.Latencies)
}

func newWorkers(n int, seed uint64) []*Worker {
	ws := make([]*Worker, n)
	for i := range ws {
		ws[i] = &Worker{ID: i, Rand: rand.New(rand.NewPCG(seed, uint64(i)+1))}
	}
	return ws
}

// record counts one operation that started at start (or was meant to).
func (w *Worker) record(start, end time.Time, err error) {
	w.ops++
	w.lat = append(w.lat, end.Sub(start))
	if err != nil {
		w.errs++
		if w.err == nil {
			w.err = err
		}
	}
}

// Closed is a closed-loop load: Workers workers each run the operation
// back to back for Duration, after a Warmup whose operations are not
// counted.
type Closed struct {
	Workers  int
	Duration time.Duration
	Warmup   time.Duration
	Seed     uint64 // seeds the workers' random sources
}

// Run runs the load until Duration has passed or ctx is done.
func (c Closed) Run(ctx context.Context, op Op) *Result {
	workers := newWorkers(max(c.Workers, 1), c.Seed)
	begin := time.Now()
	from, until := begin.Add(c.Warmup), begin.Add(c.Warmup+c.Duration)
	var wg sync.WaitGroup
	var last atomic.Int64 // the latest end of a counted operation, in ns after from
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				if !start.Before(until) {
					return
				}
				w.Start = start
				err := op(ctx, w)
				end := time.Now()
				if start.Before(from) {
					continue
				}
				w.record(start, end, err)
				for d := int64(end.Sub(from)); ; {
					old := last.Load()
					if d <= old || last.CompareAndSwap(old, d) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	r := &Result{Elapsed: time.Duration(last.Load())}
	r.merge(workers)
	return r
}

// Open is an open-loop load: operations are scheduled at Rate per second,
// evenly spaced, for Duration, and handed to Workers workers (so at most
// Workers are in flight). A scheduled operation waits for a free worker if
// need be, and its latency counts from its scheduled time. Operations not
// sent Grace after the end of the schedule (default 10 s) are dropped and
// counted in Dropped. Closing Until, when set, ends the schedule early.
type Open struct {
	Rate     float64
	Duration time.Duration
	Workers  int
	Grace    time.Duration
	Seed     uint64
	Until    <-chan struct{}
}

// Run runs the load until the schedule is done or ctx is done.
func (o Open) Run(ctx context.Context, op Op) *Result {
	workers := newWorkers(max(o.Workers, 1), o.Seed)
	total := int64(o.Rate * o.Duration.Seconds())
	period := float64(time.Second) / o.Rate
	grace := o.Grace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	queue := make(chan time.Time, 1<<16)
	begin := time.Now().Add(time.Millisecond)
	deadline := begin.Add(o.Duration + grace)
	var dropped atomic.Int64
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for due := range queue {
				if ctx.Err() != nil || time.Now().After(deadline) {
					dropped.Add(1)
					continue
				}
				w.Start = due
				err := op(ctx, w)
				w.record(due, time.Now(), err)
			}
		}()
	}
	sent, late := pace(ctx, o.Until, begin, period, total, queue)
	close(queue)
	wg.Wait()
	end := time.Now()
	r := &Result{Elapsed: end.Sub(begin), Dropped: dropped.Load()}
	if ctx.Err() != nil {
		r.Dropped += total - sent
	}
	r.merge(workers)
	slices.Sort(late)
	if n := len(late); n > 0 {
		r.PacerP99 = late[min(n-1, int(math.Ceil(0.99*float64(n)))-1)]
	}
	return r
}

// pace puts the scheduled times of total operations, period ns apart from
// begin, on queue as each falls due, and returns how many it put there and
// how late each was (the first few million). It sleeps with nanosleep on a
// thread of its own: see the package comment.
func pace(ctx context.Context, until <-chan struct{}, begin time.Time, period float64, total int64, queue chan<- time.Time) (int64, []time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Grown as the schedule runs, not sized for it: W5's checks are
	// scheduled for ten minutes and end with the bulk change, seconds in,
	// and 24 MB allocated for them up front made the collector of the
	// process they share with the server under test start sooner.
	const keep = 1 << 22
	late := make([]time.Duration, 0, min(total, 1<<12))
	i := int64(0)
	for i < total && ctx.Err() == nil {
		select {
		case <-until: // a nil channel never ends the schedule
			return i, late
		default:
		}
		now := time.Now()
		due := begin.Add(time.Duration(float64(i) * period))
		if wait := due.Sub(now); wait > 0 {
			ts := syscall.NsecToTimespec(int64(wait))
			syscall.Nanosleep(&ts, nil)
			continue
		}
		for ; i < total; i++ {
			due = begin.Add(time.Duration(float64(i) * period))
			if due.After(now) {
				break
			}
			queue <- due
			if len(late) < keep {
				late = append(late, now.Sub(due))
			}
		}
	}
	return i, late
}
