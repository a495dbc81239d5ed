package graph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/allot-project/allot"
)

// durationBuckets are the upper bounds, in seconds, of the request
// duration histogram (Prometheus' defaults).
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics holds the counters served at /metrics, in Prometheus' text
// format written by hand.
type metrics struct {
	mu          sync.Mutex
	requests    map[requestKey]uint64
	durations   map[string]*histogram // by route
	assignments map[string]uint64     // by op: add, remove
}

type requestKey struct {
	route, method string
	status        int
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]uint64{}, durations: map[string]*histogram{}, assignments: map[string]uint64{}}
}

// metricMethod bounds the method label to the methods HTTP defines.
func metricMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return m
	}
	return "OTHER"
}

func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, metricMethod(method), status}]++
	h := m.durations[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(durationBuckets))}
		m.durations[route] = h
	}
	sec := d.Seconds()
	for i, b := range durationBuckets {
		if sec <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += sec
	h.count++
}

// countAssignments counts the SKUs added and removed by a successful
// assignLicense.
func (m *metrics) countAssignments(added, removed int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.assignments["add"] += uint64(added)
	m.assignments["remove"] += uint64(removed)
}

// write writes the counters in Prometheus' text format, sorted.
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP allot_http_requests_total HTTP requests by route, method and status.")
	fmt.Fprintln(w, "# TYPE allot_http_requests_total counter")
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b requestKey) int {
		return strings.Compare(fmt.Sprint(a.route, a.method, a.status), fmt.Sprint(b.route, b.method, b.status))
	})
	for _, k := range keys {
		fmt.Fprintf(w, "allot_http_requests_total{route=%s,method=%s,status=\"%d\"} %d\n", label(k.route), label(k.method), k.status, m.requests[k])
	}
	fmt.Fprintln(w, "# HELP allot_http_request_duration_seconds HTTP request durations by route.")
	fmt.Fprintln(w, "# TYPE allot_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(m.durations))
	for r := range m.durations {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		h := m.durations[r]
		var cum uint64
		for i, b := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "allot_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", label(r), strconv.FormatFloat(b, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "allot_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", label(r), h.count)
		fmt.Fprintf(w, "allot_http_request_duration_seconds_sum{route=%s} %s\n", label(r), strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "allot_http_request_duration_seconds_count{route=%s} %d\n", label(r), h.count)
	}
	fmt.Fprintln(w, "# HELP allot_license_assignments_total Licenses added and removed by successful assignLicense calls.")
	fmt.Fprintln(w, "# TYPE allot_license_assignments_total counter")
	for _, op := range []string{"add", "remove"} {
		fmt.Fprintf(w, "allot_license_assignments_total{op=%q} %d\n", op, m.assignments[op])
	}
}

// label quotes a label value with Prometheus' escapes.
func label(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}

// serveMetrics answers GET /metrics, which needs no token.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	s.metrics.write(&b)
	if err := s.writeSeatGauges(r.Context(), &b); err != nil {
		s.log.ErrorContext(r.Context(), "metrics: seat gauges", "request_id", infoFrom(r.Context()).id, "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	io.WriteString(w, b.String())
}

// writeSeatGauges writes allot_seats{tenant,sku,state="total|consumed"}
// for every tenant, read with each tenant's system principal at scrape
// time.
func (s *Server) writeSeatGauges(ctx context.Context, w io.Writer) error {
	tenants, err := s.svc.Tenants.FindTenants(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "# HELP allot_seats Seats per tenant and SKU: total (Enabled and Warning units) and consumed.")
	fmt.Fprintln(w, "# TYPE allot_seats gauge")
	for _, t := range tenants {
		skus, err := s.svc.Subscriptions.FindSubscribedSKUs(ctx, allot.SystemPrincipal(t.ID, "metrics"))
		if err != nil {
			return err
		}
		for _, sku := range skus {
			fmt.Fprintf(w, "allot_seats{tenant=%s,sku=%s,state=\"total\"} %d\n", label(t.ID), label(sku.SKU.PartNumber), sku.Total())
			fmt.Fprintf(w, "allot_seats{tenant=%s,sku=%s,state=\"consumed\"} %d\n", label(t.ID), label(sku.SKU.PartNumber), sku.Consumed)
		}
	}
	return nil
}
