package lifecycle_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot/lifecycle"
)

// stopper returns a step that ends the scheduler's run by cancelling it.
func stopper(cancel context.CancelFunc) lifecycle.Step {
	return lifecycle.Step{Name: "stop", Do: func(context.Context, time.Time) (int, error) {
		cancel()
		return 0, nil
	}}
}

// TestSchedulerLogs runs the scheduler once (the last step stops it) and
// checks what it logs of a step's result, at level info.
func TestSchedulerLogs(t *testing.T) {
	tests := []struct {
		name string
		n    int
		err  error
		want string // "" means no line about the step
	}{
		{"count", 2, nil, `level=INFO msg="lifecycle step done" step=s count=2 duration=`},
		{"nothing to do", 0, nil, ""},
		{"failure", 0, errors.New("boom"), `level=ERROR msg="lifecycle step failed" step=s err=boom`},
		{"stopping", 0, context.Canceled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var calls []string
			steps := []lifecycle.Step{fakeStep("s", tt.n, tt.err, &calls), stopper(cancel)}
			lifecycle.NewScheduler(steps, time.Hour, func() time.Time { return at }, log).Run(ctx)

			var got string
			for _, line := range strings.Split(buf.String(), "\n") {
				if strings.Contains(line, "step=s ") {
					got = line
				}
			}
			if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
				t.Errorf("log line (-want prefix +got):\n-%s\n+%s", tt.want, got)
			}
			if want := []string{"s@2026-03-02T09:00:00Z"}; len(calls) != 1 || calls[0] != want[0] {
				t.Errorf("calls (-want +got):\n-%q\n+%q", want, calls)
			}
		})
	}
}

// dropTime removes the time from log lines, so that they can be compared.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// TestSchedulerRepeats checks that the scheduler runs its steps at start
// and then at every tick, each time at the clock's time, and returns once
// its context ends.
func TestSchedulerRepeats(t *testing.T) {
	var mu sync.Mutex
	clock := at
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Minute)
		return clock
	}
	ran := make(chan time.Time, 10)
	step := lifecycle.Step{Name: "tick", Do: func(ctx context.Context, now time.Time) (int, error) {
		select {
		case ran <- now:
		case <-ctx.Done():
		}
		return 0, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		lifecycle.NewScheduler([]lifecycle.Step{step}, time.Millisecond, now, slog.New(slog.DiscardHandler)).Run(ctx)
		close(done)
	}()
	for i := 1; i <= 3; i++ {
		if got, want := <-ran, at.Add(time.Duration(i)*time.Minute); !got.Equal(want) {
			t.Errorf("run %d at %s, want %s", i, got, want)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler still runs 5s after its context ended")
	}
}
