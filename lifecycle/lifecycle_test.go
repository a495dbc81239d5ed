package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/allot-project/allot/lifecycle"
)

// at is the pinned time of the tests.
var at = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fakeStep returns a step that records the time it was called at in calls
// and returns n and err.
func fakeStep(name string, n int, err error, calls *[]string) lifecycle.Step {
	return lifecycle.Step{Name: name, One: "thing done", Many: "things done", Do: func(_ context.Context, now time.Time) (int, error) {
		*calls = append(*calls, name+"@"+now.Format(time.RFC3339))
		return n, err
	}}
}

func TestRun(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		steps     func(calls *[]string) []lifecycle.Step
		wantCalls []string
		want      []string
	}{
		{
			name: "each step once, in order, at now",
			steps: func(c *[]string) []lifecycle.Step {
				return []lifecycle.Step{fakeStep("a", 2, nil, c), fakeStep("b", 0, nil, c)}
			},
			wantCalls: []string{"a@2026-03-02T09:00:00Z", "b@2026-03-02T09:00:00Z"},
			want:      []string{"a: 2 things done", "b: 0 things done"},
		},
		{
			name: "a failing step does not stop the next",
			steps: func(c *[]string) []lifecycle.Step {
				return []lifecycle.Step{fakeStep("a", 0, boom, c), fakeStep("b", 1, nil, c)}
			},
			wantCalls: []string{"a@2026-03-02T09:00:00Z", "b@2026-03-02T09:00:00Z"},
			want:      []string{"a: failed: boom", "b: 1 thing done"},
		},
		{
			name:  "no steps",
			steps: func(*[]string) []lifecycle.Step { return nil },
			want:  []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			results := lifecycle.Run(context.Background(), tt.steps(&calls), at)
			got := []string{}
			for _, r := range results {
				got = append(got, r.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("results (-want +got):\n-%q\n+%q", tt.want, got)
			}
			if !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("calls (-want +got):\n-%q\n+%q", tt.wantCalls, calls)
			}
		})
	}
}

func TestResultString(t *testing.T) {
	step := &lifecycle.Step{Name: "purge-deleted-users", One: "deleted user purged", Many: "deleted users purged"}
	tests := []struct {
		name   string
		result lifecycle.Result
		want   string
	}{
		{"none", lifecycle.Result{Step: step}, "purge-deleted-users: 0 deleted users purged"},
		{"one", lifecycle.Result{Step: step, Count: 1}, "purge-deleted-users: 1 deleted user purged"},
		{"several", lifecycle.Result{Step: step, Count: 12}, "purge-deleted-users: 12 deleted users purged"},
		{"failed", lifecycle.Result{Step: step, Err: fmt.Errorf("database: %w", errors.New("down"))}, "purge-deleted-users: failed: database: down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.result.String(); got != tt.want {
				t.Errorf("(-want +got):\n-%s\n+%s", tt.want, got)
			}
		})
	}
}
