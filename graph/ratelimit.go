package graph

import (
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per key (the hash of an access token): each
// bucket holds up to burst requests and refills at rate per second.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[[32]byte]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepEvery is how often idle buckets are dropped.
const sweepEvery = time.Minute

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	if burst <= 0 {
		burst = max(1, int(math.Ceil(rate)))
	}
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[[32]byte]*bucket{}}
}

// allow takes one request from key's bucket. When the bucket is empty it
// returns false and the whole seconds to wait for the next request, at
// least 1.
func (l *limiter) allow(key [32]byte) (retryAfter int, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	wait := math.Ceil((1 - b.tokens) / l.rate)
	return int(math.Max(1, math.Min(wait, 3600))), false
}

// sweep drops the buckets that have refilled completely: forgetting them
// changes nothing, since a new bucket starts full.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery {
		return
	}
	l.lastSweep = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}

// size returns the number of buckets kept.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
