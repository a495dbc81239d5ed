package graph

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/allot-project/allot"
)

// tokenCache remembers, for a short time, the principal of each valid token
// so that a request costs a map lookup instead of a database query, and
// the refusal of each token the store refused (up to maxRefused of them),
// so that a client retrying a revoked or mistyped token costs one query a
// TTL. Tokens never seen reach the store, behind the client address's
// rate limit (ratelimit.go).
type tokenCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[[32]byte]cachedPrincipal
	refused map[[32]byte]cachedRefusal
	swept   time.Time
}

type cachedPrincipal struct {
	p       allot.Principal
	expires time.Time
}

type cachedRefusal struct {
	err     error
	expires time.Time
}

// maxRefused bounds the refusals remembered: past it, a new refusal is not
// remembered until the next sweep drops the expired ones.
const maxRefused = 10000

func newTokenCache(ttl time.Duration, now func() time.Time) *tokenCache {
	if ttl == 0 {
		ttl = time.Second
	}
	return &tokenCache{ttl: ttl, now: now, entries: map[[32]byte]cachedPrincipal{}, refused: map[[32]byte]cachedRefusal{}}
}

// authenticate returns the cached principal or refusal of secret, or asks
// check and caches its answer: a principal, or an EUNAUTHORIZED refusal
// (other errors, such as a database failure or throttling, are not
// remembered).
func (c *tokenCache) authenticate(ctx context.Context, secret string, check func(context.Context, string) (allot.Principal, error)) (allot.Principal, error) {
	if c.ttl < 0 {
		return check(ctx, secret)
	}
	key := sha256.Sum256([]byte(secret))
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[key]
	bad, refused := c.refused[key]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.p, nil
	}
	if refused && now.Before(bad.expires) {
		return allot.Principal{}, bad.err
	}
	p, err := check(ctx, secret)
	if err != nil {
		if allot.ErrorCode(err) == allot.EUNAUTHORIZED {
			c.refuse(key, err, now)
		}
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(now)
	c.entries[key] = cachedPrincipal{p: p, expires: now.Add(c.ttl)}
	return p, nil
}

// refuse remembers a refusal, within maxRefused.
func (c *tokenCache) refuse(key [32]byte, err error, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(now)
	if len(c.refused) >= maxRefused {
		return // until the next sweep: no scan per refusal
	}
	c.refused[key] = cachedRefusal{err: err, expires: now.Add(c.ttl)}
}

// sweep drops the expired entries every 10 TTLs; c.mu is held.
func (c *tokenCache) sweep(now time.Time) {
	if now.Sub(c.swept) <= 10*c.ttl {
		return
	}
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.dropExpiredRefusals(now)
	c.swept = now
}

func (c *tokenCache) dropExpiredRefusals(now time.Time) {
	for k, e := range c.refused {
		if !now.Before(e.expires) {
			delete(c.refused, k)
		}
	}
}

// sizes returns the numbers of principals and refusals kept.
func (c *tokenCache) sizes() (principals, refusals int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries), len(c.refused)
}
