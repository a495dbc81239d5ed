package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Scheduler runs steps in the background of a server process: once at
// start, then every interval, until its context ends.
type Scheduler struct {
	steps []Step
	every time.Duration
	now   func() time.Time
	log   *slog.Logger
}

// NewScheduler returns a scheduler of steps that runs them every interval
// (hourly if every is 0 or less), at the time now returns (time.Now if
// nil), and logs to log (slog.Default() if nil).
func NewScheduler(steps []Step, every time.Duration, now func() time.Time, log *slog.Logger) *Scheduler {
	if every <= 0 {
		every = time.Hour
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Scheduler{steps: steps, every: every, now: now, log: log}
}

// Run runs every step at once and then at each tick, and returns when ctx
// ends. A run in progress sees ctx end through the steps' own context.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		s.runOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runOnce runs every step and logs what each did: an error, or a count
// other than 0 (a count of 0 only at debug level, so an idle server's log
// stays quiet).
func (s *Scheduler) runOnce(ctx context.Context) {
	for _, r := range Run(ctx, s.steps, s.now()) {
		attrs := []any{"step", r.Step.Name, "count", r.Count, "duration", r.Duration}
		switch {
		case r.Err != nil && ctx.Err() != nil && errors.Is(r.Err, ctx.Err()):
			return // stopping: not a failure of the step
		case r.Err != nil:
			s.log.Error("lifecycle step failed", "step", r.Step.Name, "err", r.Err)
		case r.Count > 0:
			s.log.Info("lifecycle step done", attrs...)
		default:
			s.log.Debug("lifecycle step done", attrs...)
		}
	}
}
