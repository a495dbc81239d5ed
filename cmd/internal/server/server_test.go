package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
)

// TestPurges checks that a running server purges users deleted more than
// 30 days ago, and keeps the others.
func TestPurges(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db := openDB(t, clock)
	tn := &allot.Tenant{Name: "P", Domain: "p.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	p := allot.SystemPrincipal(tn.ID, "test")
	for _, upn := range []string{"old@p.example", "recent@p.example"} {
		u := &allot.User{UserPrincipalName: upn, DisplayName: upn}
		noErr(t, db.CreateUser(ctx, p, u))
		noErr(t, db.DeleteUser(ctx, p, u.ID))
		now = now.Add(20 * 24 * time.Hour)
	}
	now = now.Add(-20*24*time.Hour + 11*24*time.Hour) // old: 31 days ago; recent: 11

	s, err := Start(ctx, db, Options{Logger: discard(), Now: clock, PurgeEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		users, _, err := db.FindUsers(ctx, p, allot.UserFilter{Deleted: true})
		noErr(t, err)
		if len(users) == 1 && users[0].UserPrincipalName == "recent@p.example" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deleted users after start: %d, want only the recent one", len(users))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIndexInStep checks that the index follows this process's commits
// and that Serve answers until its context ends, then stops.
func TestIndexInStep(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, time.Now)
	tn := &allot.Tenant{Name: "I", Domain: "i.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	s, err := Start(ctx, db, Options{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.IndexUsers(); got != 0 {
		t.Errorf("IndexUsers() before = %d, want 0", got)
	}
	u := &allot.User{UserPrincipalName: "a@i.example", DisplayName: "A"}
	noErr(t, db.CreateUser(ctx, allot.SystemPrincipal(tn.ID, "test"), u))
	if got := s.IndexUsers(); got != 1 {
		t.Errorf("IndexUsers() after a commit = %d, want 1", got)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(t, err)
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	noErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %s, want 200 OK", resp.Status)
	}
	stop()
	if err := <-served; err != nil {
		t.Errorf("Serve() after its context ended = %v, want nil", err)
	}
}

// openDB opens a new SQLite database in a temporary directory.
func openDB(t *testing.T, now func() time.Time) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Now: now, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOneRegistry checks that /metrics serves what other parts of the
// process register on the registry given in Options, beside the API's.
func TestOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "allot_test_gauge", Help: "A gauge of the test."})
	reg.MustRegister(g)
	g.Set(7)
	s, err := Start(context.Background(), openDB(t, time.Now), Options{Logger: discard(), Registry: reg, MetricsToken: "secret-of-the-scraper"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header.Set("Authorization", "Bearer secret-of-the-scraper")
	s.Handler().ServeHTTP(rec, r)
	for _, want := range []string{"allot_test_gauge 7", "allot_license_assignments_total"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET /metrics lacks %q:\n%s", want, rec.Body.String())
		}
	}
}

// TestServeMetrics checks that ServeMetrics serves /metrics on a listener
// of its own, and that the API's handler, without a metrics token, does
// not serve it at all.
func TestServeMetrics(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, time.Now)
	tn := &allot.Tenant{Name: "M", Domain: "m.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	s, err := Start(ctx, db, Options{Logger: discard()})
	noErr(t, err)
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(t, err)
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.ServeMetrics(sctx, ln, false) }()
	for _, tt := range []struct {
		path       string
		wantStatus int
		want       string
	}{
		{"/metrics", http.StatusOK, "allot_license_assignments_total"},
		{"/healthz", http.StatusNotFound, `"error"`},
		{"/v1.0/users", http.StatusNotFound, `"error"`},
		{"/debug/pprof/", http.StatusNotFound, `"error"`}, // without --pprof
	} {
		resp, err := http.Get("http://" + ln.Addr().String() + tt.path)
		noErr(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s -want +got\n-%d …%s…\n+%d %s", tt.path, tt.wantStatus, tt.want, resp.StatusCode, body)
		}
		if strings.Contains(string(body), tn.ID) {
			t.Errorf("GET %s names a tenant without --metrics-per-tenant:\n%s", tt.path, body)
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "allot_") {
		t.Errorf("the API's /metrics without a metrics token: %d %s, want 404", rec.Code, rec.Body)
	}
	stop()
	if err := <-served; err != nil {
		t.Errorf("ServeMetrics() after its context ended = %v, want nil", err)
	}
}
