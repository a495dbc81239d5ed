package main

import (
	"net/http"
	"testing"
)

// TestServeDefaultAddrLimit checks that allot serve limits requests without
// a valid token by client address by default: a burst of them ends in 429
// with Retry-After, while the demo administrator's token still works.
func TestServeDefaultAddrLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	statuses := map[int]int{}
	var retryAfter string
	for i := 0; i < defaultAddrRateBurst+50; i++ {
		resp, err := http.Get(s.url + "/v1.0/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			retryAfter = resp.Header.Get("Retry-After")
		}
	}
	if statuses[http.StatusTooManyRequests] == 0 || statuses[http.StatusUnauthorized] < defaultAddrRateBurst || retryAfter == "" {
		t.Errorf("answers %v, Retry-After %q: want %d × 401, then 429 with Retry-After", statuses, retryAfter, defaultAddrRateBurst)
	}
	s.mustRun(t, "skus")
}
