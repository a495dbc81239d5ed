package graph

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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
