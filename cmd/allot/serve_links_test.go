package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// End-to-end tests of what "allot serve" shows to whom: /metrics,
// absolute links and security headers.

// get sends GET rawURL with the headers hdr ("Host" sets the Host header)
// and returns the status, headers and body.
func get(t *testing.T, rawURL string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// tokenFile writes a metrics token file and returns its path.
func tokenFile(t *testing.T, tok string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

const e2eMetricsToken = "0123456789abcdef0123456789abcdef"

// TestServeMetrics checks who reads /metrics for each way of serving it.
func TestServeMetrics(t *testing.T) {
	t.Parallel()
	bearer := map[string]string{"Authorization": "Bearer " + e2eMetricsToken}
	t.Run("by default nobody", func(t *testing.T) {
		t.Parallel()
		s := startServer(t)
		for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer " + s.token}} {
			if code, _, body := get(t, s.url+"/metrics", hdr); code != http.StatusNotFound || strings.Contains(body, "allot_") {
				t.Errorf("GET /metrics -want +got\n-404\n+%d %s", code, body)
			}
		}
	})
	t.Run("--metrics-addr", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "--metrics-addr", "127.0.0.1:0")
		if s.metricsURL == "" {
			t.Fatal("serve did not print where metrics are served")
		}
		s.mustRun(t, "skus")
		code, _, body := get(t, s.metricsURL, nil)
		if code != http.StatusOK || !strings.Contains(body, `allot_http_requests_total{method="GET",route="/v1.0/subscribedSkus",status="200"} 1`) {
			t.Errorf("GET %s: %d\n%s", s.metricsURL, code, body)
		}
		if strings.Contains(body, "allot_seats") || strings.Contains(body, "tenant=") {
			t.Errorf("seat gauges by tenant without --metrics-per-tenant:\n%s", body)
		}
		if code, _, body := get(t, s.url+"/metrics", nil); code != http.StatusNotFound {
			t.Errorf("the API's listener serves /metrics too: %d %s", code, body)
		}
	})
	t.Run("--metrics-token-file", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "--metrics-token-file", tokenFile(t, e2eMetricsToken), "--metrics-per-tenant")
		for _, tt := range []struct {
			name string
			hdr  map[string]string
			want int
		}{
			{"no token", nil, http.StatusUnauthorized},
			{"a user's token", map[string]string{"Authorization": "Bearer " + s.token}, http.StatusUnauthorized},
			{"the metrics token", bearer, http.StatusOK},
		} {
			code, _, body := get(t, s.url+"/metrics", tt.hdr)
			if code != tt.want {
				t.Errorf("%s: GET /metrics -want +got\n-%d\n+%d %s", tt.name, tt.want, code, body)
			}
			if got := strings.Contains(body, `allot_seats{sku="SPB",state="total"`); got != (code == http.StatusOK) {
				t.Errorf("%s: seat gauges by tenant shown: %v\n%s", tt.name, got, body)
			}
		}
	})
	t.Run("--metrics-addr with a token", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "--metrics-addr", "127.0.0.1:0", "--metrics-token-file", tokenFile(t, e2eMetricsToken))
		if code, _, _ := get(t, s.metricsURL, nil); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", s.metricsURL, code)
		}
		if code, _, _ := get(t, s.metricsURL, bearer); code != http.StatusOK {
			t.Errorf("GET %s with the token: %d, want 200", s.metricsURL, code)
		}
		if code, _, _ := get(t, s.url+"/metrics", bearer); code != http.StatusNotFound {
			t.Errorf("the API's listener serves /metrics too: %d, want 404", code)
		}
		if code, _, _ := get(t, strings.TrimSuffix(s.metricsURL, "/metrics")+"/debug/pprof/", bearer); code != http.StatusNotFound {
			t.Errorf("profiles served without --pprof: %d, want 404", code)
		}
	})
	t.Run("--pprof", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "--metrics-addr", "127.0.0.1:0", "--metrics-token-file", tokenFile(t, e2eMetricsToken), "--pprof")
		base := strings.TrimSuffix(s.metricsURL, "/metrics")
		for _, tt := range []struct {
			url  string
			hdr  map[string]string
			want int
			body string
		}{
			{base + "/debug/pprof/", nil, http.StatusUnauthorized, ""},
			{base + "/debug/pprof/", map[string]string{"Authorization": "Bearer " + s.token}, http.StatusUnauthorized, ""},
			{base + "/debug/pprof/", bearer, http.StatusOK, "goroutine"},
			{base + "/debug/pprof/cmdline", bearer, http.StatusOK, ""},
			{base + "/debug/pprof/goroutine?debug=1", bearer, http.StatusOK, "goroutine profile:"},
			{base + "/metrics", bearer, http.StatusOK, "allot_"},
			{s.url + "/debug/pprof/", bearer, http.StatusNotFound, ""},
		} {
			code, _, body := get(t, tt.url, tt.hdr)
			if code != tt.want || !strings.Contains(body, tt.body) {
				t.Errorf("GET %s -want +got\n-%d …%s…\n+%d %.200s", tt.url, tt.want, tt.body, code, body)
			}
		}
	})
}

// nextLinkOf reads one user and returns the answer's nextLink.
func nextLinkOf(t *testing.T, s *testServer, hdr map[string]string) string {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + s.token}
	for k, v := range hdr {
		h[k] = v
	}
	code, _, body := get(t, s.url+"/v1.0/users?$top=1", h)
	var page struct {
		NextLink string `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal([]byte(body), &page); code != http.StatusOK || err != nil {
		t.Fatalf("GET /v1.0/users: %d %s", code, body)
	}
	if strings.Contains(body, "evil.example") {
		t.Errorf("the answer names the Host or an untrusted header: %s", body)
	}
	return page.NextLink
}

// TestServeLinks checks where nextLinks point: never at the Host a client
// sends; at --public-url; at a trusted proxy's X-Forwarded-Host; else at
// the server's own address, which the CLI follows.
func TestServeLinks(t *testing.T) {
	t.Parallel()
	evil := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
	t.Run("its own address", func(t *testing.T) {
		t.Parallel()
		s := startServer(t)
		if got, want := nextLinkOf(t, s, evil), s.url+"/v1.0/users?$top=1&$skiptoken="; !strings.HasPrefix(got, want) {
			t.Errorf("nextLink -want +got\n-%s…\n+%s", want, got)
		}
		if out := s.mustRun(t, "users", "list"); !strings.Contains(out, "adele@contoso.example") {
			t.Errorf("users list:\n%s", out)
		}
	})
	t.Run("--public-url", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "--public-url", "https://allot.example.com/", "--trusted-proxy", "127.0.0.0/8")
		if got, want := nextLinkOf(t, s, evil), "https://allot.example.com/v1.0/users?$top=1&$skiptoken="; !strings.HasPrefix(got, want) {
			t.Errorf("nextLink -want +got\n-%s…\n+%s", want, got)
		}
	})
	t.Run("--trusted-proxy", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1")
		hdr := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "allot.example.com", "X-Forwarded-Proto": "https"}
		if got, want := nextLinkOf(t, s, hdr), "https://allot.example.com/v1.0/users?$top=1&$skiptoken="; !strings.HasPrefix(got, want) {
			t.Errorf("nextLink -want +got\n-%s…\n+%s", want, got)
		}
	})
	t.Run("an untrusted proxy", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, "--trusted-proxy", "10.0.0.0/8")
		if got, want := nextLinkOf(t, s, evil), s.url+"/v1.0/users"; !strings.HasPrefix(got, want) {
			t.Errorf("nextLink -want +got\n-%s…\n+%s", want, got)
		}
	})
}

// TestServeSecurityHeaders checks the headers of answers of every kind
// from the real server.
func TestServeSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	// The index loads in the background: /healthz says "ok, index
	// loading" until it is in memory, then "ok".
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, _, body := get(t, s.url+"/healthz", nil); body == "ok" {
			break
		} else if body != "ok, index loading" || time.Now().After(deadline) {
			t.Fatalf("GET /healthz at start: %q, want %q then %q", body, "ok, index loading", "ok")
		}
	}
	for _, tt := range []struct {
		path string
		hdr  map[string]string
	}{
		{"/v1.0/me", map[string]string{"Authorization": "Bearer " + s.token}},
		{"/v1.0/me", nil},
		{"/v1.0/nothing", map[string]string{"Authorization": "Bearer " + s.token}},
		{"/healthz", nil},
		{"/metrics", nil},
	} {
		code, h, body := get(t, s.url+tt.path, tt.hdr)
		for k, v := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		} {
			if got := h.Get(k); got != v {
				t.Errorf("GET %s (%d): %s -want +got\n-%s\n+%s", tt.path, code, k, v, got)
			}
		}
		if tt.path == "/healthz" && (code != http.StatusOK || body != "ok") {
			t.Errorf("GET /healthz -want +got\n-200 ok\n+%d %s", code, body)
		}
	}
}

// TestServeFlagsRefused checks that wrong link and metrics flags are
// refused before anything is served.
func TestServeFlagsRefused(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "allot.db")
	for _, tt := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"public URL without scheme", []string{"--public-url", "allot.example.com"}, 2, "--public-url"},
		{"public URL ftp", []string{"--public-url", "ftp://allot.example.com"}, 2, "http:// or https://"},
		{"public URL with a path", []string{"--public-url", "https://allot.example.com/allot"}, 2, "must not have a path"},
		{"public URL with a query", []string{"--public-url", "https://allot.example.com/?a=b"}, 2, "a scheme and a host"},
		{"public URL with a user", []string{"--public-url", "https://u@allot.example.com"}, 2, "a scheme and a host"},
		{"proxy not a CIDR", []string{"--trusted-proxy", "proxy.example"}, 2, "not a CIDR"},
		{"token file missing", []string{"--metrics-token-file", filepath.Join(t.TempDir(), "none")}, 1, "--metrics-token-file"},
		{"token too short", []string{"--metrics-token-file", tokenFile(t, "short")}, 1, "at least 16 characters"},
		{"token with spaces", []string{"--metrics-token-file", tokenFile(t, "0123456789abcdef 0123456789abcdef")}, 1, "without spaces"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runEnv(t, nil, "", append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, tt.args...)...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("exit -want +got\n-%d …%s…\n+%d %s", tt.wantCode, tt.wantErr, r.code, r.stderr)
			}
			if strings.Contains(r.stdout, "listening") {
				t.Errorf("served anyway:\n%s", r.stdout)
			}
		})
	}
}
