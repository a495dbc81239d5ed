package graph

import (
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetrics checks the Prometheus output: request counters, the duration
// histogram, assignment counters and the seat gauges. The exposition format
// writes labels sorted by name.
func TestMetrics(t *testing.T) {
	f := newFixture(t, withMetrics)
	a := f.a
	u := f.freshUser(t, a)
	f.send(t, a, callerGlobal, "POST", "/v1.0/users/"+u.ID+"/assignLicense", `{"addLicenses":[{"skuId":"`+skuE3+`"},{"skuId":"`+skuArchive+`"}],"removeLicenses":[]}`)
	f.send(t, a, callerGlobal, "POST", "/v1.0/users/"+u.ID+"/assignLicense", `{"addLicenses":[],"removeLicenses":["`+skuArchive+`"]}`)
	f.send(t, a, callerGlobal, "POST", "/v1.0/users/"+u.ID+"/assignLicense", `{"addLicenses":[],"removeLicenses":["`+skuArchive+`"]}`) // refused: not held
	f.get(t, a, callerNone, "/v1.0/users")
	f.do(t, request{method: "BREW", path: "/v1.0/users"})
	resp := f.do(t, request{method: "GET", path: "/metrics", token: testMetricsToken})
	if resp.status != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %s", resp.status, resp.header.Get("Content-Type"))
	}
	body := string(resp.body)
	for _, want := range []string{
		`# TYPE allot_http_requests_total counter`,
		`allot_http_requests_total{method="POST",route="/v1.0/users/{id}/assignLicense",status="200"} 2`,
		`allot_http_requests_total{method="POST",route="/v1.0/users/{id}/assignLicense",status="400"} 1`,
		`allot_http_requests_total{method="GET",route="/v1.0/users",status="401"} 1`,
		`allot_http_requests_total{method="OTHER",route="unmatched",status="405"} 1`,
		`# TYPE allot_http_request_duration_seconds histogram`,
		`allot_http_request_duration_seconds_bucket{route="/v1.0/users/{id}/assignLicense",le="+Inf"} 3`,
		`allot_http_request_duration_seconds_count{route="/v1.0/users/{id}/assignLicense"} 3`,
		`allot_license_assignments_total{op="add"} 2`,
		`allot_license_assignments_total{op="remove"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s\n%s", want, body)
		}
	}
	for _, want := range []string{
		`# TYPE allot_seats gauge`,
		`allot_seats{sku="SPE_E3",state="total",tenant="` + a.tenant.ID + `"} 100`,
		`allot_seats{sku="SPE_E3",state="consumed",tenant="` + a.tenant.ID + `"} 1`,
		`allot_seats{sku="EXCHANGESTANDARD",state="total",tenant="` + f.b.tenant.ID + `"} 1`,
		`allot_seats{sku="SPE_E3",state="consumed",tenant="` + f.b.tenant.ID + `"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s\n%s", want, body)
		}
	}
}

// TestHistogramBuckets checks that the buckets are cumulative and that
// label values are escaped.
func TestHistogramBuckets(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	m.observeRequest("r", "GET", 200, 3*time.Millisecond)
	m.observeRequest("r", "GET", 200, 300*time.Millisecond)
	m.observeRequest("r", "GET", 200, time.Minute)
	m.observeRequest("a\"b\\c\nd", "GET", 200, time.Millisecond)
	body := scrape(t, reg)
	for _, want := range []string{`le="0.005"} 1`, `le="0.25"} 1`, `le="0.5"} 2`, `le="10"} 2`, `le="+Inf"} 3`} {
		if !strings.Contains(body, `allot_http_request_duration_seconds_bucket{route="r",`+want) {
			t.Errorf("histogram lacks bucket %s:\n%s", want, body)
		}
	}
	if want := `allot_http_request_duration_seconds_count{route="a\"b\\c\nd"} 1`; !strings.Contains(body, want) {
		t.Errorf("label escaping: want %s in\n%s", want, body)
	}
}

// TestSharedRegistry checks that the metrics land on the registry given in
// Options, next to what other packages register there, and that a second
// server on the same registry counts into the same series.
func TestSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	other := prometheus.NewCounter(prometheus.CounterOpts{Name: "allot_other_total", Help: "Another package's counter."})
	reg.MustRegister(other)
	other.Inc()
	f := newFixture(t, withMetrics, func(o *Options, _ *Services) { o.Registry = reg })
	second := NewServer(f.srv.svc, Options{Registry: reg, Logger: f.srv.log, MetricsPerTenant: true})
	f.get(t, f.a, callerReader, "/v1.0/me")
	r := httptest.NewRequest("GET", "http://allot.test/v1.0/me", nil)
	r.Header.Set("Authorization", "Bearer "+f.a.tokens[callerReader])
	second.Handler().ServeHTTP(httptest.NewRecorder(), r)
	body := string(f.do(t, request{method: "GET", path: "/metrics", token: testMetricsToken}).body)
	for _, want := range []string{
		`allot_other_total 1`,
		`allot_http_requests_total{method="GET",route="/v1.0/me",status="200"} 2`,
		`allot_seats{sku="SPE_E3",state="total",tenant="` + f.a.tenant.ID + `"} 100`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s\n%s", want, body)
		}
	}
	if body := scrape(t, reg); !strings.Contains(body, `allot_other_total 1`) {
		t.Errorf("the registry lost another package's counter:\n%s", body)
	}
}

// scrape returns what a Prometheus scrape of reg reads.
func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	w := httptest.NewRecorder()
	metricsHandler(reg, slog.Default()).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// TestRateLimit checks the per-token bucket: over the limit is 429
// TooManyRequests with Retry-After, other tokens are not affected, and the
// bucket refills with time.
func TestRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) { o.RateLimit, o.RateBurst = 0.5, 2 })
	a := f.a
	for i := 0; i < 2; i++ {
		if resp := f.get(t, a, callerReader, "/v1.0/me"); resp.status != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, resp.status)
		}
	}
	resp := f.get(t, a, callerReader, "/v1.0/me")
	if resp.status != http.StatusTooManyRequests {
		t.Fatalf("status -want +got\n-429\n+%d", resp.status)
	}
	if e := resp.envelope(t); e.Error.Code != codeTooManyRequests {
		t.Errorf("code -want +got\n-%s\n+%s", codeTooManyRequests, e.Error.Code)
	}
	if got := resp.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After -want +got\n-2\n+%s", got)
	}
	if resp := f.get(t, a, callerGlobal, "/v1.0/me"); resp.status != http.StatusOK {
		t.Errorf("another token is limited too: %d", resp.status)
	}
	if resp := f.get(t, a, callerBad, "/v1.0/me"); resp.status != http.StatusUnauthorized {
		t.Errorf("bad token within its burst: %d, want 401", resp.status)
	}
	f.clock.Add(2 * time.Second)
	if resp := f.get(t, a, callerReader, "/v1.0/me"); resp.status != http.StatusOK {
		t.Errorf("after refilling: %d, want 200", resp.status)
	}
	if resp := f.get(t, a, callerReader, "/healthz"); resp.status != http.StatusOK {
		t.Errorf("healthz is limited: %d", resp.status)
	}
}

// TestLimiterSweep checks that idle buckets are forgotten.
func TestLimiterSweep(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	l := newLimiter(10, 0, c.Now)
	for i := 0; i < 100; i++ {
		l.allow(sha256.Sum256([]byte{byte(i)}))
	}
	if n := l.size(); n != 100 {
		t.Fatalf("buckets = %d, want 100", n)
	}
	c.Add(2 * time.Minute)
	l.allow(sha256.Sum256([]byte("new")))
	if n := l.size(); n != 1 {
		t.Errorf("buckets after sweep -want +got\n-1\n+%d", n)
	}
	if l.burst != 10 {
		t.Errorf("default burst = %v, want the rate rounded up", l.burst)
	}
}

// testMetricsToken is the metrics token of withMetrics.
const testMetricsToken = "metrics-token-of-the-tests-0123456789"

// withMetrics serves /metrics with testMetricsToken and the per-tenant
// seat gauges.
func withMetrics(o *Options, _ *Services) {
	o.MetricsToken, o.MetricsPerTenant = testMetricsToken, true
}

// TestMetricsAccess checks who reads /metrics: nobody on the API's
// handler without a metrics token; with one, only its bearer; on the
// separate handler, anybody unless a token is set; and that the seat
// gauges, which name every tenant, are there only when asked for.
func TestMetricsAccess(t *testing.T) {
	f := newFixture(t)
	withToken := func(o *Options, _ *Services) { o.MetricsToken = testMetricsToken }
	separately := func(o *Options, _ *Services) { o.MetricsToken, o.MetricsSeparate = testMetricsToken, true }
	tests := []struct {
		name       string
		opts       func(*Options, *Services)
		separate   bool // MetricsHandler instead of Handler
		path       string
		token      string
		wantStatus int
		wantSeats  bool
	}{
		{"API handler, no metrics token configured", nil, false, "/metrics", "", 404, false},
		{"API handler, no metrics token configured, a user's token", nil, false, "/metrics", f.a.tokens[callerGlobal], 404, false},
		{"API handler, no token", withToken, false, "/metrics", "", 401, false},
		{"API handler, a user's token", withToken, false, "/metrics", f.a.tokens[callerGlobal], 401, false},
		{"API handler, a prefix of the token", withToken, false, "/metrics", testMetricsToken[:10], 401, false},
		{"API handler, the token", withToken, false, "/metrics", testMetricsToken, 200, false},
		{"API handler, the token, per tenant", withMetrics, false, "/metrics", testMetricsToken, 200, true},
		{"API handler, the token, served separately", separately, false, "/metrics", testMetricsToken, 404, false},
		{"separate, no token configured", nil, true, "/metrics", "", 200, false},
		{"separate, another path", nil, true, "/v1.0/me", f.a.tokens[callerGlobal], 404, false},
		{"separate, no token", withToken, true, "/metrics", "", 401, false},
		{"separate, the token", withMetrics, true, "/metrics", testMetricsToken, 200, true},
		{"separate, the token, served separately", separately, true, "/metrics", testMetricsToken, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Logger: f.srv.log, Now: f.clock.Now}
			if tt.opts != nil {
				tt.opts(&o, nil)
			}
			srv := NewServer(f.srv.svc, o)
			h := srv.Handler()
			if tt.separate {
				h = srv.MetricsHandler(false)
			}
			r := httptest.NewRequest("GET", tt.path, nil)
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d %s", tt.wantStatus, w.Code, w.Body)
			}
			body := w.Body.String()
			if tt.wantStatus != 200 {
				if !strings.Contains(body, `"error"`) || strings.Contains(body, "allot_") {
					t.Errorf("a refusal that is not Graph's envelope or shows metrics: %s", body)
				}
				return
			}
			if !strings.Contains(body, "allot_license_assignments_total") {
				t.Errorf("no assignment counters:\n%s", body)
			}
			if got := strings.Contains(body, f.a.tenant.ID) || strings.Contains(body, "allot_seats"); got != tt.wantSeats {
				t.Errorf("seat gauges by tenant: -want +got\n-%v\n+%v\n%s", tt.wantSeats, got, body)
			}
		})
	}
}
