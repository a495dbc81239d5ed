// Package lifecycle holds allot's timed work: what becomes due by the
// passing of time alone, such as the purge of users deleted more than
// allot.DeletedRetention ago, and soon subscription states and data grace
// periods.
//
// Each piece of work is a Step: a named, plain function of the time,
// func(ctx, now) (n int, err error), that does what is due at now and
// counts what it changed. A step is one job with two callers, as in
// miniflux's cleanup tasks: the Scheduler, which "allot serve" runs in
// every server process (at start and then every interval), and "allot
// lifecycle run", which runs every step once, for cron or an operator.
// Both call Run with the same Steps, so the two cannot drift apart.
//
// Steps must be safe to run at any time, from several processes at once:
// the store behind a step makes it exactly once across processes (on
// PostgreSQL each step takes a transaction-scoped advisory lock named
// after it, and a process that finds it taken leaves the work to the
// holder; on SQLite the single writer serialises) and idempotent (it
// changes and audits only the rows its own statements changed). Time is
// always passed in, never read inside a step, so tests pin it.
//
// The package imports no other package of allot (the root would be the
// only one allowed); the store is reached through the small Store
// interface, which sqlstore.DB implements.
package lifecycle

import (
	"context"
	"fmt"
	"time"
)

// Step is one piece of timed work.
type Step struct {
	// Name identifies the step in output, logs and locks, in lower-case
	// words joined by hyphens, e.g. "purge-deleted-users".
	Name string
	// One and Many describe what the count of a run counts, for a count of
	// one and for any other count: "deleted user purged", "deleted users
	// purged".
	One, Many string
	// Do does what is due at now and returns how many things it changed.
	// It may be called at any time, concurrently with itself in other
	// processes.
	Do func(ctx context.Context, now time.Time) (n int, err error)
}

// Result is what one step did in one run.
type Result struct {
	Step     *Step
	Count    int           // what Do returned
	Err      error         // what Do returned
	Duration time.Duration // how long Do took
}

// String describes the result in one line, e.g.
// "purge-deleted-users: 2 deleted users purged" or
// "purge-deleted-users: failed: …".
func (r Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: failed: %v", r.Step.Name, r.Err)
	}
	return r.Step.Name + ": " + r.Summary()
}

// Summary says what the count counts, e.g. "2 deleted users purged".
func (r Result) Summary() string {
	what := r.Step.Many
	if r.Count == 1 {
		what = r.Step.One
	}
	return fmt.Sprintf("%d %s", r.Count, what)
}

// Run runs each step once, in order, at now, and returns one result per
// step. A failing step does not stop the ones after it: steps are
// independent, and each is retried at the next run.
func Run(ctx context.Context, steps []Step, now time.Time) []Result {
	out := make([]Result, len(steps))
	for i := range steps {
		start := time.Now()
		n, err := steps[i].Do(ctx, now)
		out[i] = Result{Step: &steps[i], Count: n, Err: err, Duration: time.Since(start)}
	}
	return out
}
