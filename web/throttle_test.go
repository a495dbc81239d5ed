package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
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
	if got := th.wait("addr:1"); got != 0 {
		t.Errorf("wait of an address after %d failures = %v, want 0 (addresses get %d)", freeFailures, got, freeAddressFailures)
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

// TestClientAddr checks which address the per-address slowdown counts:
// the peer's, or behind a trusted proxy the right-most forwarded address
// that is not a proxy's.
func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "198.51.100.7:1234", nil, "198.51.100.7"},
		{"direct ignores X-Forwarded-For", "198.51.100.7:1234", []string{"1.2.3.4"}, "198.51.100.7"},
		{"through a proxy", "10.0.0.2:1234", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a forged left-most hop", "10.0.0.2:1234", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"two proxies", "10.0.0.2:1234", []string{"203.0.113.9, 10.0.0.3"}, "203.0.113.9"},
		{"garbled", "10.0.0.2:1234", []string{"nonsense"}, "10.0.0.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/signin", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, proxies); got != tc.want {
				t.Errorf("clientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}
