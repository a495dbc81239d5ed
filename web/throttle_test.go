package web

import (
	"testing"
	"time"
)

// TestThrottle checks the slowdown per key: free failures, then a wait
// doubling per failure up to maxWait, keys independent, a success clearing
// its key, and a key forgotten after forgetAfter.
func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now })
	fail := func(n int, keys ...string) {
		for range n {
			th.fail(keys...)
		}
	}
	fail(freeFailures-1, "user:a", "addr:1")
	if got := th.wait("user:a", "addr:1"); got != 0 {
		t.Errorf("wait after %d failures = %v, want 0", freeFailures-1, got)
	}
	fail(1, "user:a", "addr:1")
	if got := th.wait("user:a"); got != firstWait {
		t.Errorf("wait after %d failures = %v, want %v", freeFailures, got, firstWait)
	}
	fail(2, "user:a")
	if got := th.wait("user:a", "addr:1"); got != 4*firstWait {
		t.Errorf("wait of the account after %d failures = %v, want %v", freeFailures+2, got, 4*firstWait)
	}
	if got := th.wait("user:b", "addr:2"); got != 0 {
		t.Errorf("wait of other keys = %v, want 0", got)
	}
	fail(30, "addr:1")
	if got := th.wait("addr:1"); got != maxWait {
		t.Errorf("wait after many failures = %v, want %v", got, maxWait)
	}
	th.succeed("user:a")
	if got := th.wait("user:a"); got != 0 {
		t.Errorf("wait after success = %v, want 0", got)
	}
	now = now.Add(forgetAfter + time.Second)
	if got := th.wait("addr:1"); got != 0 {
		t.Errorf("wait after %v = %v, want 0", forgetAfter, got)
	}
}
