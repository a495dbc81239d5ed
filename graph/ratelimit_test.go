package graph

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// countingTokens counts the token lookups that reach the store.
type countingTokens struct {
	allot.TokenService
	lookups atomic.Int64
}

func (c *countingTokens) Authenticate(ctx context.Context, secret string) (allot.Principal, error) {
	c.lookups.Add(1)
	return c.TokenService.Authenticate(ctx, secret)
}

// withCountedTokens makes the fixture's server count its token lookups.
func withCountedTokens(c *countingTokens) func(*Options, *Services) {
	return func(_ *Options, s *Services) { c.TokenService = s.Tokens; s.Tokens = c }
}

// from serves a GET of path with token (none if empty) from the peer
// address remote.
func (f *fixture) from(remote, token, path string, header ...string) *response {
	r := httptest.NewRequest("GET", "http://allot.test"+path, nil)
	r.RemoteAddr = remote
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return &response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// randomToken is a well-formed token of tenant tf that no one issued.
func randomToken(tf *tenantFixture) string {
	b := make([]byte, 32)
	rand.Read(b)
	return "allot_" + strings.ReplaceAll(tf.tenant.ID, "-", "") + "_" + base64.RawURLEncoding.EncodeToString(b)
}

// TestAddrRateLimit checks the per-address bucket of requests without a
// valid token: over it, 429 with Retry-After; other addresses and valid
// tokens from elsewhere are not affected; it refills with time.
func TestAddrRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) { o.AddrRateLimit, o.AddrRateBurst = 0.5, 3 })
	const attacker, other = "198.51.100.7:4000", "203.0.113.9:5000"
	for i, token := range []string{"", f.a.tokens[callerBad], randomToken(f.a)} {
		if resp := f.from(attacker, token, "/v1.0/me"); resp.status != http.StatusUnauthorized {
			t.Fatalf("request %d within the burst: %d, want 401", i, resp.status)
		}
	}
	for name, token := range map[string]string{"no token": "", "bad token": f.a.tokens[callerBad], "new token": randomToken(f.a)} {
		resp := f.from(attacker, token, "/v1.0/me")
		if resp.status != http.StatusTooManyRequests || resp.header.Get("Retry-After") != "2" {
			t.Errorf("%s over the burst: %d Retry-After %q, want 429 and 2", name, resp.status, resp.header.Get("Retry-After"))
		}
		if resp.status == http.StatusTooManyRequests && resp.envelope(t).Error.Code != codeTooManyRequests {
			t.Errorf("%s: code %s", name, resp.body)
		}
	}
	if resp := f.from(other, "", "/v1.0/me"); resp.status != http.StatusUnauthorized {
		t.Errorf("another address: %d, want 401", resp.status)
	}
	for i := 0; i < 10; i++ {
		if resp := f.from(other, f.a.tokens[callerReader], "/v1.0/me"); resp.status != http.StatusOK {
			t.Fatalf("a valid token, request %d: %d, want 200 (valid tokens are not counted by address)", i, resp.status)
		}
	}
	if resp := f.from(attacker, "", "/healthz"); resp.status != http.StatusOK {
		t.Errorf("healthz from the limited address: %d", resp.status)
	}
	f.clock.Add(2 * time.Second)
	if resp := f.from(attacker, "", "/v1.0/me"); resp.status != http.StatusUnauthorized {
		t.Errorf("after refilling: %d, want 401", resp.status)
	}
}

// TestGuessedTokensCostNoLookups sends 50,000 random well-formed tokens
// from one address, and one bad token 1,000 times from as many addresses:
// only the address's burst and one lookup per TTL reach the store.
func TestGuessedTokensCostNoLookups(t *testing.T) {
	for _, tt := range []struct {
		name        string
		n           int
		sameToken   bool
		addrLimit   float64
		wantLookups int64
	}{
		{name: "random tokens, one address", n: 50000, addrLimit: 10, wantLookups: 100},
		{name: "one bad token, many addresses", n: 1000, sameToken: true, wantLookups: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c countingTokens
			f := newFixture(t, withCountedTokens(&c), func(o *Options, _ *Services) {
				o.AddrRateLimit, o.AddrRateBurst = tt.addrLimit, 100
			})
			bad := randomToken(f.a)
			statuses := map[int]int{}
			for i := 0; i < tt.n; i++ {
				token, addr := bad, netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()+":1"
				if !tt.sameToken {
					token, addr = randomToken(f.a), "198.51.100.7:4000"
				}
				statuses[f.from(addr, token, "/api/check?user=x&servicePlan=y").status]++
			}
			if got := c.lookups.Load(); got > tt.wantLookups {
				t.Errorf("lookups = %d, want at most %d (answers %v)", got, tt.wantLookups, statuses)
			}
			for status := range statuses {
				if status != http.StatusUnauthorized && status != http.StatusTooManyRequests {
					t.Errorf("answers %v, want only 401 and 429", statuses)
				}
			}
			if _, refusals := f.srv.tokens.sizes(); refusals > maxRefused {
				t.Errorf("refusals kept = %d, over %d", refusals, maxRefused)
			}
		})
	}
}

// TestTenantRateLimit checks that a tenant's tokens share one bucket and
// another tenant has its own.
func TestTenantRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) { o.TenantRateLimit, o.TenantRateBurst = 0.5, 3 })
	for i, caller := range []string{callerReader, callerGlobal, callerLicense} {
		if resp := f.get(t, f.a, caller, "/v1.0/me"); resp.status != http.StatusOK {
			t.Fatalf("request %d within the tenant's burst: %d", i, resp.status)
		}
	}
	resp := f.get(t, f.a, callerUser, "/v1.0/me")
	if resp.status != http.StatusTooManyRequests || !strings.Contains(resp.envelope(t).Error.Message, "tenant") {
		t.Errorf("a fourth token of the tenant: %d %s, want 429 naming the tenant", resp.status, resp.body)
	}
	if resp := f.get(t, f.b, callerReader, "/v1.0/me"); resp.status != http.StatusOK {
		t.Errorf("another tenant: %d, want 200", resp.status)
	}
}

// TestClientAddr checks which address the address bucket is keyed by.
func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{name: "direct", remote: "198.51.100.7:1", want: "198.51.100.7"},
		{name: "direct ignores X-Forwarded-For", remote: "198.51.100.7:1", xff: []string{"1.2.3.4"}, want: "198.51.100.7"},
		{name: "trusted proxy", remote: "10.0.0.1:1", xff: []string{"1.2.3.4"}, want: "1.2.3.4"},
		{name: "client-set values are skipped", remote: "10.0.0.1:1", xff: []string{"6.6.6.6, 1.2.3.4"}, want: "1.2.3.4"},
		{name: "chain of trusted proxies", remote: "10.0.0.1:1", xff: []string{"6.6.6.6, 1.2.3.4", "10.9.9.9"}, want: "1.2.3.4"},
		{name: "garbled hop", remote: "10.0.0.1:1", xff: []string{"evil"}, want: "10.0.0.1"},
		{name: "IPv6 peer", remote: "[2001:db8::1]:1", want: "2001:db8::1"},
		{name: "mapped IPv4", remote: "[::ffff:198.51.100.7]:1", want: "198.51.100.7"},
		{name: "unparsable peer", remote: "pipe", want: "invalid IP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, proxies).String(); got != tt.want {
				t.Errorf("clientAddr -want +got\n-%s\n+%s", tt.want, got)
			}
		})
	}
}
