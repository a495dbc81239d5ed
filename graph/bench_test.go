package graph

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// discardWriter is a ResponseWriter that keeps only the status, so that a
// benchmark measures the handler rather than a recorder.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

// BenchmarkCheckHandler measures GET /api/check (W1) through the whole
// handler: request id, authentication from the token cache, the index,
// the JSON answer, the log call and the metrics.
func BenchmarkCheckHandler(b *testing.B) {
	f := newFixture(b, withIndex(b))
	u := f.a.users[callerOrdinary]
	r := httptest.NewRequest("GET", "http://allot.test/api/check?user="+u.ID+"&servicePlan="+planExchange2, nil)
	r.Header.Set("Authorization", "Bearer "+f.a.tokens[callerGlobal])
	h := f.srv.Handler()
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkObserveRequest measures the metrics update every request makes.
func BenchmarkObserveRequest(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		f.srv.metrics.observeRequest("/api/check", "GET", http.StatusOK, 150*time.Microsecond)
	}
}

// BenchmarkObserveRequestParallel is BenchmarkObserveRequest from every
// core at once, as under W1's load.
func BenchmarkObserveRequestParallel(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f.srv.metrics.observeRequest("/api/check", "GET", http.StatusOK, 150*time.Microsecond)
		}
	})
}

// benchLogger logs at Info to nowhere, as a server's log line costs.
func benchLogger(o *Options, _ *Services) {
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
}

// benchGet serves GET path with token through h until the loop ends.
func benchGet(b *testing.B, h http.Handler, path, token string) {
	b.Helper()
	r := httptest.NewRequest("GET", "http://allot.test"+path, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkBareHandler is the ceiling the read benchmarks compare with: a
// handler writing a fixed JSON answer, headers included, and nothing else.
func BenchmarkBareHandler(b *testing.B) {
	body := []byte(`{"@odata.context":"http://allot.test/v1.0/$metadata#users('x')/licenseDetails","value":[]}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
	benchGet(b, h, "/bare", "x")
}

// BenchmarkLicenseDetails measures GET /users/{id}/licenseDetails (W12)
// through the whole handler, its log line at Info included, read from the
// index as allot serve reads them on SQLite.
func BenchmarkLicenseDetails(b *testing.B) {
	var served atomic.Int64
	f := newFixture(b, benchLogger, withIndexReads(b, &served))
	u := f.a.users[callerOrdinary]
	benchGet(b, f.srv.Handler(), "/v1.0/users/"+u.ID+"/licenseDetails", f.a.tokens[callerReader])
}

// BenchmarkLicenseDetailsSQL is BenchmarkLicenseDetails read from SQL in
// one statement (allot serve on PostgreSQL, or while the index loads).
func BenchmarkLicenseDetailsSQL(b *testing.B) {
	f := newFixture(b, benchLogger, withSQLReads)
	u := f.a.users[callerOrdinary]
	benchGet(b, f.srv.Handler(), "/v1.0/users/"+u.ID+"/licenseDetails", f.a.tokens[callerReader])
}

// BenchmarkUser measures GET /users/{id} (W12), read as allot serve reads
// it (Services.Reads: one statement, no licenses for the default
// properties).
func BenchmarkUser(b *testing.B) {
	f := newFixture(b, benchLogger, withSQLReads)
	u := f.a.users[callerOrdinary]
	benchGet(b, f.srv.Handler(), "/v1.0/users/"+u.ID, f.a.tokens[callerReader])
}

// withSQLReads reads users and licenseDetails with the store's
// allot.UserReadService.
func withSQLReads(_ *Options, s *Services) { s.Reads = s.Users.(*sqlstore.DB) }

// BenchmarkSubscribedSkus measures GET /subscribedSkus (W12) of the
// fixture's tenant, from the SKUCache as allot serve answers it.
func BenchmarkSubscribedSkus(b *testing.B) {
	f := newFixture(b, benchLogger, func(o *Options, _ *Services) { o.SKUCache = NewSKUCache() })
	benchGet(b, f.srv.Handler(), "/v1.0/subscribedSkus", f.a.tokens[callerReader])
}

// BenchmarkSubscribedSkusStore is BenchmarkSubscribedSkus read from the
// store every time (no SKUCache).
func BenchmarkSubscribedSkusStore(b *testing.B) {
	f := newFixture(b, benchLogger)
	benchGet(b, f.srv.Handler(), "/v1.0/subscribedSkus", f.a.tokens[callerReader])
}

// BenchmarkSubscribedSkus200 measures GET /subscribedSkus (W7's page: 200
// SKUs of 25 plans) with the store's read of the list replaced by a
// constant, so that rendering is what is measured.
func BenchmarkSubscribedSkus200(b *testing.B) {
	f := newFixture(b, benchLogger, func(_ *Options, s *Services) {
		s.Subscriptions = constSKUs{SubscriptionService: s.Subscriptions, skus: manySKUs(200, 25)}
	})
	benchGet(b, f.srv.Handler(), "/v1.0/subscribedSkus", f.a.tokens[callerReader])
}

// constSKUs answers every list of subscribedSkus with skus.
type constSKUs struct {
	allot.SubscriptionService
	skus []*allot.SubscribedSKU
}

func (c constSKUs) FindSubscribedSKUs(ctx context.Context, p allot.Principal) ([]*allot.SubscribedSKU, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	return c.skus, nil
}

// manySKUs makes n subscribedSkus of plans plans each.
func manySKUs(n, plans int) []*allot.SubscribedSKU {
	var out []*allot.SubscribedSKU
	const tenant = "11111111-2222-4333-8444-555555555555"
	for i := range n {
		sku := &allot.SKU{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), PartNumber: fmt.Sprintf("BENCH_SKU_%03d", i), AppliesTo: "User"}
		for j := range plans {
			sku.Plans = append(sku.Plans, &allot.ServicePlan{ID: fmt.Sprintf("00000000-0000-4000-9000-%06d%06d", i, j), Name: fmt.Sprintf("BENCH_PLAN_%04d", j)})
		}
		out = append(out, &allot.SubscribedSKU{TenantID: tenant, SKU: sku, CapabilityStatus: "Enabled", Consumed: 4000 + i,
			Prepaid: allot.LicenseUnits{Enabled: 5000}, SubscriptionIDs: []string{fmt.Sprintf("99999999-0000-4000-8000-%012d", i)}})
	}
	return out
}

// BenchmarkDecodeBulkChange decodes W5's body: 100,000 user ids and a
// SKU to remove.
func BenchmarkDecodeBulkChange(b *testing.B) {
	var body bytes.Buffer
	body.WriteString(`{"users":[`)
	for i := range MaxBulkUsers {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `"%08x-0000-4000-8000-%012x"`, i, i)
	}
	body.WriteString(`],"removeLicenses":["6fd2c87f-b296-42f0-b197-1e91e994b900"],"mode":"allOrNothing"}`)
	b.SetBytes(int64(body.Len()))
	for b.Loop() {
		if _, err := decodeBulkChange(body.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
