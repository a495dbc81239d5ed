package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// TestHealthz checks that /healthz says "not ready", and no more, while
// the license-check index is behind the database, and "ok" again once a
// reload caught up.
func TestHealthz(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, time.Now)
	tn := &allot.Tenant{Name: "H", Domain: "h.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	s, err := Start(ctx, db, Options{Logger: discard()})
	noErr(t, err)
	defer s.Close()
	healthz := func() (int, string) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	want := func(what string, wantCode int, wantBody string) {
		t.Helper()
		if code, body := healthz(); code != wantCode || body != wantBody {
			t.Errorf("%s: /healthz -want +got\n-%d %s\n+%d %s", what, wantCode, wantBody, code, body)
		}
	}
	want("at start", http.StatusOK, "ok")

	reason := "license-check index update failed: test"
	s.readiness.stale.Store(&reason)
	want("after a failed update", http.StatusServiceUnavailable, "not ready")
	s.reload <- struct{}{}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if code, _ := healthz(); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still not ready 5s after a reload was asked for")
		}
	}

	noErr(t, db.Close())
	s.apply(ctx, allot.Change{TenantID: tn.ID, All: true})
	want("with the database gone", http.StatusServiceUnavailable, "not ready")
}
