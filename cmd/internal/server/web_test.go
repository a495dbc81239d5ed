package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMount checks that the admin center answers "/" and the paths that
// are not the API's, while the API's paths keep their answers.
func TestMount(t *testing.T) {
	db := openDB(t, time.Now)
	s, err := Start(context.Background(), db, Options{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		path     string
		status   int
		location string
		body     string
	}{
		{"/", http.StatusSeeOther, "/signin?next=%2F", ""},
		{"/signin", http.StatusOK, "", `name="password"`},
		{"/licenses", http.StatusSeeOther, "/signin?next=%2Flicenses", ""},
		{"/healthz", http.StatusOK, "", "ok"},
		{"/v1.0/users", http.StatusUnauthorized, "", `"error"`},
		{"/v1.0/nosuch", http.StatusNotFound, "", `"UnknownError"`},
		{"/api/check", http.StatusUnauthorized, "", `"error"`},
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status || rec.Header().Get("Location") != tc.location || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %q %q, want %d %q and %q", tc.path, rec.Code, rec.Header().Get("Location"), rec.Body.String(), tc.status, tc.location, tc.body)
		}
	}
}

// TestAPIPath checks which paths are the API's.
func TestAPIPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/v1.0", true}, {"/v1.0/users", true}, {"/api/check", true}, {"/healthz", true}, {"/metrics", true},
		{"/", false}, {"/licenses", false}, {"/v1.00", false}, {"/apix", false}, {"/static/app.css", false},
	} {
		if got := apiPath(tc.path); got != tc.want {
			t.Errorf("apiPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
