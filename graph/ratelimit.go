package graph

import (
	"crypto/sha256"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter is a token bucket per key (the hash of an access token, of a
// tenant id, or a client address): each
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

// peek reports whether key's bucket holds a request, without taking it,
// and otherwise the whole seconds to wait. A key without a bucket has a
// full one.
func (l *limiter) peek(key [32]byte) (retryAfter int, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return 0, true
	}
	tokens := b.tokens
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		tokens = math.Min(l.burst, tokens+elapsed*l.rate)
	}
	if tokens >= 1 {
		return 0, true
	}
	return int(math.Max(1, math.Min(math.Ceil((1-tokens)/l.rate), 3600))), false
}

// rateLimits are the three token buckets of the API, each nil when off:
// per access token and per tenant for authenticated requests, and per
// client address for the requests that present no valid token (none, a
// malformed, an unknown, an expired or a revoked one), so that guessing
// tokens costs the guesser, not the database.
type rateLimits struct {
	token, tenant, addr *limiter
	proxies             []netip.Prefix // whose X-Forwarded-For is believed
}

func newRateLimits(o Options, now func() time.Time) rateLimits {
	rl := rateLimits{proxies: o.TrustedProxies}
	if o.RateLimit > 0 {
		rl.token = newLimiter(o.RateLimit, o.RateBurst, now)
	}
	if o.TenantRateLimit > 0 {
		rl.tenant = newLimiter(o.TenantRateLimit, o.TenantRateBurst, now)
	}
	if o.AddrRateLimit > 0 {
		rl.addr = newLimiter(o.AddrRateLimit, o.AddrRateBurst, now)
	}
	return rl
}

// throttled is the 429 answer, Retry-After set, naming what is limited.
func throttled(w http.ResponseWriter, what string, wait int) error {
	w.Header().Set("Retry-After", strconv.Itoa(wait))
	return &apiError{status: http.StatusTooManyRequests, code: codeTooManyRequests,
		message: "Too many requests: " + what + " is over its rate limit. Retry after " + strconv.Itoa(wait) + " seconds."}
}

// anonymous counts one request without a valid token against its client
// address; over the limit it returns the 429 to answer instead.
func (rl rateLimits) anonymous(w http.ResponseWriter, r *http.Request) error {
	if rl.addr == nil {
		return nil
	}
	if wait, ok := rl.addr.allow(rl.addrKey(r)); !ok {
		return throttled(w, "this client address (requests without a valid token)", wait)
	}
	return nil
}

// beforeLookup refuses, before the database is asked about a token it has
// not seen, a client address whose failures have used up its bucket.
func (rl rateLimits) beforeLookup(w http.ResponseWriter, r *http.Request) error {
	if rl.addr == nil {
		return nil
	}
	if wait, ok := rl.addr.peek(rl.addrKey(r)); !ok {
		return throttled(w, "this client address (requests without a valid token)", wait)
	}
	return nil
}

// authenticated takes one request from the token's and the tenant's
// buckets.
func (rl rateLimits) authenticated(w http.ResponseWriter, secret, tenantID string) error {
	if rl.token != nil {
		if wait, ok := rl.token.allow(sha256.Sum256([]byte(secret))); !ok {
			return throttled(w, "this token", wait)
		}
	}
	if rl.tenant != nil {
		if wait, ok := rl.tenant.allow(sha256.Sum256([]byte(tenantID))); !ok {
			return throttled(w, "this tenant", wait)
		}
	}
	return nil
}

// addrKey is the bucket key of the request's client address.
func (rl rateLimits) addrKey(r *http.Request) [32]byte {
	var k [32]byte
	a := clientAddr(r, rl.proxies).As16()
	copy(k[:], a[:])
	return k
}

// clientAddr is the address of the client: the peer's, or, when the peer
// is a trusted proxy, the right-most X-Forwarded-For address that is not
// itself a trusted proxy (the left-most values are the client's to set at
// will). An unparsable peer is the zero address, one bucket for all such.
func clientAddr(r *http.Request, proxies []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	client := ap.Addr().Unmap()
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0 && inPrefixes(client, proxies); i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0 && inPrefixes(client, proxies); j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client // a garbled hop: the last address known
			}
			client = a.Unmap()
		}
	}
	return client
}

// inPrefixes reports whether a is in one of the ranges.
func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
