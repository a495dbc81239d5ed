package web

import (
	"strings"
	"sync"
	"time"
)

// Sign-in slowdown: after freeFailures failed attempts on one account (or
// freeAddressFailures from one address, which many people may share behind
// one proxy), the next attempt waits firstWait, doubling with each further
// failure up to maxWait. A success clears the account's count.
const (
	freeFailures        = 3
	freeAddressFailures = 20
	firstWait           = time.Second
	maxWait             = 5 * time.Minute
	forgetAfter         = time.Hour // a key without a failure for this long starts over
	maxKeys             = 100_000   // beyond this, forgotten keys are dropped first
)

// throttle counts failed sign-ins per key (an account, an address) in
// memory.
type throttle struct {
	mu   sync.Mutex
	now  func() time.Time
	keys map[string]*failures
}

// failures is one key's record.
type failures struct {
	n    int
	last time.Time
}

// newThrottle returns an empty throttle reading the clock now.
func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, keys: map[string]*failures{}}
}

// The kinds of keys the throttle counts, as prefixes.
const (
	accountKey = "user:"
	addressKey = "addr:"
)

// delay returns how long after its last failure key, with n failures,
// must wait.
func delay(key string, n int) time.Duration {
	free := freeFailures
	if strings.HasPrefix(key, addressKey) {
		free = freeAddressFailures
	}
	if n < free {
		return 0
	}
	d := firstWait << min(n-free, 20)
	return min(d, maxWait)
}

// wait returns how long the longest-waiting of keys must still wait
// before another attempt; 0 lets the attempt through.
func (t *throttle) wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, longest := t.now(), time.Duration(0)
	for _, k := range keys {
		f := t.keys[k]
		if f == nil || now.Sub(f.last) > forgetAfter {
			continue
		}
		longest = max(longest, f.last.Add(delay(k, f.n)).Sub(now))
	}
	return longest
}

// fail records a failed attempt against every key.
func (t *throttle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.keys) >= maxKeys {
		t.forget(now)
	}
	for _, k := range keys {
		f := t.keys[k]
		if f == nil || now.Sub(f.last) > forgetAfter {
			f = &failures{}
			t.keys[k] = f
		}
		f.n++
		f.last = now
	}
}

// succeed clears a key's failures.
func (t *throttle) succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}

// forget drops the keys whose last failure is older than forgetAfter.
func (t *throttle) forget(now time.Time) {
	for k, f := range t.keys {
		if now.Sub(f.last) > forgetAfter {
			delete(t.keys, k)
		}
	}
}
