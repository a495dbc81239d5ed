package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestLinkBase checks where absolute links come from: the public URL, a
// trusted proxy's X-Forwarded-Host/Proto, else the listener's address;
// never the Host header, nor forwarded headers from any other peer.
func TestLinkBase(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00::/8")}
	local := &net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 8080}
	tests := []struct {
		name     string
		public   string
		proxies  []netip.Prefix
		remote   string
		local    net.Addr
		xfHost   []string
		xfProto  string
		wantBase string
	}{
		{"public URL wins", "https://allot.example.com/", proxies, "10.1.2.3:5000", local, []string{"proxy.example"}, "http", "https://allot.example.com"},
		{"no configuration: the listener", "", nil, "192.0.2.1:5000", local, []string{"evil.example"}, "https", "http://10.0.0.5:8080"},
		{"untrusted peer: the listener", "", proxies, "192.0.2.1:5000", local, []string{"evil.example"}, "https", "http://10.0.0.5:8080"},
		{"trusted proxy", "", proxies, "10.1.2.3:5000", local, []string{"allot.example.com"}, "https", "https://allot.example.com"},
		{"trusted proxy, IPv6", "", proxies, "[fd00::7]:5000", local, []string{"allot.example.com:8443"}, "HTTPS", "https://allot.example.com:8443"},
		{"trusted proxy, IPv4-mapped peer", "", proxies, "[::ffff:10.1.2.3]:5000", local, []string{"allot.example.com"}, "", "http://allot.example.com"},
		{"trusted proxy: the value it added", "", proxies, "10.1.2.3:5000", local, []string{"evil.example", "a.example, allot.example.com"}, "ftp, https", "https://allot.example.com"},
		{"trusted proxy, odd proto: the connection's", "", proxies, "10.1.2.3:5000", local, []string{"allot.example.com"}, "javascript", "http://allot.example.com"},
		{"trusted proxy, host with a path", "", proxies, "10.1.2.3:5000", local, []string{"evil.example/x"}, "https", "http://10.0.0.5:8080"},
		{"trusted proxy, host with userinfo", "", proxies, "10.1.2.3:5000", local, []string{"a@evil.example"}, "https", "http://10.0.0.5:8080"},
		{"trusted proxy without X-Forwarded-Host", "", proxies, "10.1.2.3:5000", local, nil, "https", "http://10.0.0.5:8080"},
		{"IPv6 listener", "", nil, "[::1]:5000", &net.TCPAddr{IP: net.IPv6loopback, Port: 9}, nil, "", "http://[::1]:9"},
		{"no listener address", "", nil, "192.0.2.1:5000", nil, nil, "", "http://localhost"},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(f.srv.svc, Options{Logger: f.srv.log, Now: f.clock.Now, PublicURL: tt.public, TrustedProxies: tt.proxies})
			r := httptest.NewRequest("GET", "/v1.0/users?$top=1", nil)
			r.Host, r.RemoteAddr = "evil.example", tt.remote
			if tt.local != nil {
				r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, tt.local))
			}
			r.Header.Set("Authorization", "Bearer "+f.a.tokens[callerReader])
			for _, h := range tt.xfHost {
				r.Header.Add("X-Forwarded-Host", h)
			}
			if tt.xfProto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.xfProto)
			}
			w := httptest.NewRecorder()
			srv.Handler().ServeHTTP(w, r)
			var body struct {
				Context  string `json:"@odata.context"`
				NextLink string `json:"@odata.nextLink"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); w.Code != http.StatusOK || err != nil {
				t.Fatalf("GET /v1.0/users: %d %s", w.Code, w.Body)
			}
			if want := tt.wantBase + "/v1.0/users?$top=1&$skiptoken="; !strings.HasPrefix(body.NextLink, want) {
				t.Errorf("nextLink -want +got\n-%s…\n+%s", want, body.NextLink)
			}
			if want := tt.wantBase + "/v1.0/$metadata#users"; body.Context != want {
				t.Errorf("@odata.context -want +got\n-%s\n+%s", want, body.Context)
			}
			if !strings.Contains(tt.wantBase, "evil") && strings.Contains(w.Body.String(), "evil") {
				t.Errorf("the answer names the Host or an untrusted header: %s", w.Body)
			}
		})
	}
}

// TestValidHost checks what X-Forwarded-Host values are accepted.
func TestValidHost(t *testing.T) {
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"allot.example.com", true},
		{"allot.example.com:8443", true},
		{"[2001:db8::1]:443", true},
		{"10.0.0.1", true},
		{"", false},
		{"evil.example/path", false},
		{"user@evil.example", false},
		{"evil.example?x", false},
		{"evil.example#x", false},
		{"evil example", false},
		{"evil.example:port", false},
		{":8080", false},
		{strings.Repeat("a", 256), false},
	} {
		if got := validHost(tt.host); got != tt.want {
			t.Errorf("validHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

// TestSecurityHeaders checks the headers every answer carries: success,
// errors of every kind, /healthz and /metrics.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, withMetrics)
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	}
	for _, rq := range []request{
		{method: "GET", path: "/v1.0/me", token: f.a.tokens[callerReader]},
		{method: "GET", path: "/v1.0/me"},
		{method: "GET", path: "/v1.0/nothing", token: f.a.tokens[callerReader]},
		{method: "DELETE", path: "/v1.0/subscribedSkus"},
		{method: "POST", path: "/v1.0/users", token: f.a.tokens[callerGlobal], body: []byte("{")},
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/metrics", token: testMetricsToken},
		{method: "GET", path: "/metrics"},
	} {
		resp := f.do(t, rq)
		for k, v := range want {
			if got := resp.header.Get(k); got != v {
				t.Errorf("%s %s (%d): %s -want +got\n-%s\n+%s", rq.method, rq.path, resp.status, k, v, got)
			}
		}
	}
}

// TestHealthz checks that /healthz says ok or not ready and nothing else.
func TestHealthz(t *testing.T) {
	ready := errors.New("database at 10.9.8.7 unreachable")
	var failing error
	f := newFixture(t, func(o *Options, _ *Services) {
		o.Ready = func(context.Context) error { return failing }
	})
	for _, tt := range []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
	}{
		{"ready", nil, http.StatusOK, "ok"},
		{"not ready", ready, http.StatusServiceUnavailable, "not ready"},
	} {
		failing = tt.err
		resp := f.do(t, request{method: "GET", path: "/healthz"})
		if resp.status != tt.wantStatus || string(resp.body) != tt.wantBody {
			t.Errorf("%s: -want +got\n-%d %s\n+%d %s", tt.name, tt.wantStatus, tt.wantBody, resp.status, resp.body)
		}
	}
	if !strings.Contains(f.logs.String(), "10.9.8.7") {
		t.Errorf("the reason is not logged:\n%s", f.logs)
	}
}

// TestSecurityHeadersShared checks that a handler adding to a security
// header changes its own answer only, not the values shared by all.
func TestSecurityHeadersShared(t *testing.T) {
	first, second := http.Header{}, http.Header{}
	setSecurityHeaders(first)
	first.Add("Cache-Control", "private")
	first["Referrer-Policy"][0] = "origin"
	setSecurityHeaders(second)
	if got := second.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
		t.Errorf("Cache-Control of the next answer -want +got\n-[no-store]\n+%v", got)
	}
	if got := second.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy of the next answer -want +got\n-no-referrer\n+%s", got)
	}
}
