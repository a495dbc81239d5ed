package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

// slowSource is the database as an index loads it, its full scan held
// until release is closed.
type slowSource struct {
	allot.EntitlementSource
	release chan struct{}
}

func (s slowSource) ScanEntitlements(ctx context.Context, tenantID string, fn func(*allot.Entitlement) error) error {
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.EntitlementSource.ScanEntitlements(ctx, tenantID, fn)
}

// TestChecksWhileLoading starts a server whose index loads slowly: Start
// returns at once, /healthz says "ok, index loading", and a check, by id
// or UPN, is answered right from SQL, a change committed meanwhile
// included; once loaded, /healthz says "ok" and the index answers the same.
func TestChecksWhileLoading(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, time.Now)
	tn := &allot.Tenant{Name: "L", Domain: "l.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	p := allot.SystemPrincipal(tn.ID, "test")
	noErr(t, db.CreateSubscription(ctx, p, &allot.Subscription{SKUID: e3, Quantity: 5}))
	var users []*allot.User
	for _, name := range []string{"admin", "licensed", "later"} {
		u := &allot.User{UserPrincipalName: name + "@l.example", DisplayName: name, UsageLocation: "FR", AccountEnabled: true}
		noErr(t, db.CreateUser(ctx, p, u))
		users = append(users, u)
	}
	noErr(t, db.AssignRole(ctx, p, users[0].ID, allot.RoleLicenseAdmin))
	_, err := db.AssignLicenses(ctx, p, users[1].ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3}}})
	noErr(t, err)
	token, _, err := db.CreateToken(ctx, tn.ID, users[0].ID, time.Hour)
	noErr(t, err)

	release := make(chan struct{})
	s, err := Start(ctx, db, Options{Logger: discard(), LoadInBackground: true, source: slowSource{db, release}})
	noErr(t, err)
	defer s.Close()
	defer close(release)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		s.Handler().ServeHTTP(rec, req)
		return rec.Code, strings.TrimSpace(rec.Body.String())
	}
	check := func(what string, wantLicensed map[string]bool) {
		t.Helper()
		for _, u := range users {
			for _, key := range []string{u.ID, strings.ToUpper(u.UserPrincipalName)} {
				code, body := get("/api/check?user=" + url.QueryEscape(key) + "&servicePlan=" + exchange)
				if want := fmt.Sprintf(`"licensed":%t`, wantLicensed[u.UserPrincipalName]); code != http.StatusOK || !strings.Contains(body, want) {
					t.Errorf("%s: check of %s: %d %s, want 200 with %s", what, key, code, body, want)
				}
			}
		}
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok, index loading" {
		t.Errorf("while loading: /healthz %d %q, want 200 %q", code, body, "ok, index loading")
	}
	check("while loading", map[string]bool{"licensed@l.example": true})
	_, err = db.AssignLicenses(ctx, p, users[2].ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3}}})
	noErr(t, err)
	check("while loading, after a change", map[string]bool{"licensed@l.example": true, "later@l.example": true})

	release <- struct{}{}
	for deadline := time.Now().Add(5 * time.Second); !s.index.Loaded(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("index not loaded 5 s after its scan was released")
		}
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok" {
		t.Errorf("loaded: /healthz %d %q, want 200 %q", code, body, "ok")
	}
	check("loaded", map[string]bool{"licensed@l.example": true, "later@l.example": true})
}

const (
	e3       = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK
	exchange = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
)
