package graph

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/allot-project/allot"
)

// tokenCache remembers, for a short time, the principal of each valid token
// so that a request costs a map lookup instead of a database query. Only
// successes are cached: a bad token always reaches the store (and the rate
// limiter in front of it).
type tokenCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[[32]byte]cachedPrincipal
	swept   time.Time
}

type cachedPrincipal struct {
	p       allot.Principal
	expires time.Time
}

func newTokenCache(ttl time.Duration, now func() time.Time) *tokenCache {
	if ttl == 0 {
		ttl = time.Second
	}
	return &tokenCache{ttl: ttl, now: now, entries: map[[32]byte]cachedPrincipal{}}
}

// authenticate returns the cached principal of secret, or asks check and
// caches a success.
func (c *tokenCache) authenticate(ctx context.Context, secret string, check func(context.Context, string) (allot.Principal, error)) (allot.Principal, error) {
	if c.ttl < 0 {
		return check(ctx, secret)
	}
	key := sha256.Sum256([]byte(secret))
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.p, nil
	}
	p, err := check(ctx, secret)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.swept) > 10*c.ttl {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		c.swept = now
	}
	c.entries[key] = cachedPrincipal{p: p, expires: now.Add(c.ttl)}
	return p, nil
}
