package loadgen

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestDoReadsWholeBodies checks that Do returns the whole answer whether
// the server sends its length (read into one buffer) or streams it
// chunked (read to the end), and the sent headers.
func TestDoReadsWholeBodies(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 kB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer x" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		for i := 0; i < n; i += 1000 { // several writes: chunks when no length is set
			w.Write(big[i:min(i+1000, n)])
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	c := NewClient(2, http.Header{"Authorization": {"Bearer x"}})
	defer c.Close()
	for _, tc := range []struct {
		name  string
		query string
		n     int
	}{
		{"empty", "n=0", 0},
		{"sized", "n=65536", 65536},
		{"chunked", "n=65536&chunked=1", 65536},
		{"sized again, on the kept connection", "n=1234", 1234},
	} {
		status, body, err := c.Do(context.Background(), "GET", srv.URL+"/?"+tc.query, nil)
		if err != nil || status != http.StatusOK || !bytes.Equal(body, big[:tc.n]) {
			t.Errorf("%s: %d, %d bytes, %v; want 200 and %d bytes", tc.name, status, len(body), err, tc.n)
		}
	}
}
