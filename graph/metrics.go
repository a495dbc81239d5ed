package graph

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/allot-project/allot"
)

// durationBuckets are the upper bounds, in seconds, of the request
// duration histogram (Prometheus' defaults).
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// seatScrapeTimeout bounds the store reads of one scrape's seat gauges
// (Prometheus' default scrape timeout).
const seatScrapeTimeout = 10 * time.Second

// metrics are the server's collectors, registered on the registry of
// Options.Registry.
type metrics struct {
	requests       *prometheus.CounterVec   // route, method, status
	durations      *prometheus.HistogramVec // route
	added, removed prometheus.Counter
	mu             sync.Mutex // serializes additions to byRequest
	byRequest      atomic.Pointer[map[requestKey]requestMetrics]
}

// requestKey names the series one request updates.
type requestKey struct {
	route, method string
	status        int
}

// requestMetrics are the series of one requestKey, kept so that a request
// updates them without building label values or allocating.
type requestMetrics struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// newMetrics registers the HTTP and assignment metrics on reg.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{}
	m.byRequest.Store(&map[requestKey]requestMetrics{})
	m.requests = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "allot_http_requests_total",
		Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"}))
	m.durations = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "allot_http_request_duration_seconds",
		Help:    "HTTP request durations by route.",
		Buckets: durationBuckets,
	}, []string{"route"}))
	assignments := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "allot_license_assignments_total",
		Help: "Licenses added and removed by successful assignLicense calls.",
	}, []string{"op"}))
	m.added, m.removed = assignments.WithLabelValues("add"), assignments.WithLabelValues("remove")
	return m
}

// register registers c on reg and returns it or, when a collector with the
// same descriptors is there already (a second Server on one registry), that
// one. Any other failure is a programming error.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(fmt.Sprintf("graph: registering metrics: %v", err))
}

// metricMethod bounds the method label to the methods HTTP defines.
func metricMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return m
	}
	return "OTHER"
}

// observeRequest counts one request and its duration.
func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	rm := m.series(requestKey{route, metricMethod(method), status})
	rm.count.Inc()
	rm.duration.Observe(d.Seconds())
}

// series returns the series of k, looked up once per distinct k. Requests
// read the map without locking: it is replaced, never changed, when a new
// key arrives, which stops happening once every route has been seen.
func (m *metrics) series(k requestKey) requestMetrics {
	if rm, ok := (*m.byRequest.Load())[k]; ok {
		return rm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.byRequest.Load()
	if rm, ok := old[k]; ok {
		return rm
	}
	rm := requestMetrics{
		count:    m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status)),
		duration: m.durations.WithLabelValues(k.route),
	}
	next := maps.Clone(old)
	next[k] = rm
	m.byRequest.Store(&next)
	return rm
}

// countAssignments counts the SKUs added and removed by a successful
// assignLicense.
func (m *metrics) countAssignments(added, removed int) {
	m.added.Add(float64(added))
	m.removed.Add(float64(removed))
}

// seatCollector exports allot_seats{tenant,sku,state="total|consumed"}
// for every tenant, read with each tenant's system principal at scrape
// time.
type seatCollector struct {
	desc *prometheus.Desc
	svc  Services
	log  *slog.Logger
}

func newSeatCollector(svc Services, log *slog.Logger) *seatCollector {
	return &seatCollector{svc: svc, log: log, desc: prometheus.NewDesc("allot_seats",
		"Seats per tenant and SKU: total (Enabled and Warning units) and consumed.",
		[]string{"tenant", "sku", "state"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *seatCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. A failure is logged and the
// gauges read until then are exported.
func (c *seatCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), seatScrapeTimeout)
	defer cancel()
	if err := c.collect(ctx, ch); err != nil {
		c.log.ErrorContext(ctx, "metrics: seat gauges", "err", err)
	}
}

func (c *seatCollector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	tenants, err := c.svc.Tenants.FindTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		skus, err := c.svc.Subscriptions.FindSubscribedSKUs(ctx, allot.SystemPrincipal(t.ID, "metrics"))
		if err != nil {
			return err
		}
		for _, sku := range skus {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(sku.Total()), t.ID, sku.SKU.PartNumber, "total")
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(sku.Consumed), t.ID, sku.SKU.PartNumber, "consumed")
		}
	}
	return nil
}

// metricsHandler answers GET /metrics with every metric of the registry
// in the exposition format the scraper asks for.
func metricsHandler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{log},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// metricsEndpoint is metricsHandler behind Options.MetricsToken, when set:
// a request without it is 401 in Graph's envelope.
func (s *Server) metricsEndpoint() http.Handler {
	return s.metricsAuth(metricsHandler(s.registry, s.log))
}

// metricsAuth serves h to the bearer of the metrics token only, when one
// is set.
func (s *Server) metricsAuth(h http.Handler) http.Handler {
	if s.metricsToken == "" {
		return h
	}
	want := sha256.Sum256([]byte(s.metricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			s.writeError(w, r, &apiError{status: http.StatusUnauthorized, code: codeUnauthorized,
				message: "Access token is missing or invalid."})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// MetricsHandler serves GET /metrics alone, for a listener of its own
// (allot serve --metrics-addr), with the request ids, log lines and
// security headers of the API; any other path is 404. With profiles, it
// serves Go's profiles under /debug/pprof/ too (net/http/pprof), to the
// same bearer as /metrics.
func (s *Server) MetricsHandler(profiles bool) http.Handler {
	mux := http.NewServeMux()
	metrics := s.metricsEndpoint()
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).route = "/metrics"
		metrics.ServeHTTP(w, r)
	}))
	only := "Only /metrics is served here."
	if profiles {
		only = "Only /metrics and /debug/pprof/ are served here."
		pprofs := s.metricsAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			infoFrom(r.Context()).route = "/debug/pprof/"
			switch r.URL.Path {
			case "/debug/pprof/cmdline":
				pprof.Cmdline(w, r)
			case "/debug/pprof/profile":
				pprof.Profile(w, r)
			case "/debug/pprof/symbol":
				pprof.Symbol(w, r)
			case "/debug/pprof/trace":
				pprof.Trace(w, r)
			default:
				pprof.Index(w, r)
			}
		}))
		mux.Handle("/debug/pprof/", pprofs)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &apiError{status: http.StatusNotFound, code: "UnknownError", message: only})
	})
	return s.observe(mux)
}

// promLogger passes promhttp's errors to the server's log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error("metrics", "err", fmt.Sprint(v...)) }
