package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

const skuM365E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"

// TestLicenseDetailsFromIndex checks where a running SQLite server reads
// licenseDetails from: from the index, which holds each of its own
// commits before the write is answered (an assignLicense followed at once
// by a read shows it), and from SQL while the index is not provably
// current (a failed update of it).
func TestLicenseDetailsFromIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	db := openPath(t, path)
	tn := &allot.Tenant{Name: "R", Domain: "r.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	sys := allot.SystemPrincipal(tn.ID, "test")
	noErr(t, db.CreateSubscription(ctx, sys, &allot.Subscription{SKUID: skuM365E3, Quantity: 5}))
	admin := &allot.User{UserPrincipalName: "admin@r.example", DisplayName: "Admin", UsageLocation: "FR", AccountEnabled: true}
	u := &allot.User{UserPrincipalName: "u@r.example", DisplayName: "U", UsageLocation: "FR", AccountEnabled: true}
	for _, x := range []*allot.User{admin, u} {
		noErr(t, db.CreateUser(ctx, sys, x))
	}
	noErr(t, db.AssignRole(ctx, sys, admin.ID, allot.RoleGlobalAdmin))
	token, _, err := db.CreateToken(ctx, tn.ID, admin.UserPrincipalName, time.Hour)
	noErr(t, err)
	s, err := Start(ctx, db, Options{Logger: discard()})
	noErr(t, err)
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	call := func(method, path, body string) []byte {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		noErr(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		noErr(t, err)
		defer resp.Body.Close()
		var b json.RawMessage
		noErr(t, json.NewDecoder(resp.Body).Decode(&b))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
		}
		return b
	}
	details := func() int {
		t.Helper()
		var c struct{ Value []any }
		noErr(t, json.Unmarshal(call("GET", "/v1.0/users/"+u.ID+"/licenseDetails", ""), &c))
		return len(c.Value)
	}
	if !s.indexCurrent() {
		t.Fatal("indexCurrent() = false on a loaded SQLite server, want true")
	}
	for i := range 6 {
		body, want := `{"addLicenses":[{"skuId":"`+skuM365E3+`"}],"removeLicenses":[]}`, 1
		if i%2 == 1 {
			body, want = `{"addLicenses":[],"removeLicenses":["`+skuM365E3+`"]}`, 0
		}
		call("POST", "/v1.0/users/"+u.ID+"/assignLicense", body)
		if got := details(); got != want {
			t.Errorf("licenseDetails right after change %d -want +got\n-%d\n+%d", i, want, got)
		}
	}
	// A commit this process does not hear of (another process on the same
	// file, which allot does not run on SQLite) shows which path answers.
	other := openPath(t, path)
	_, err = other.AssignLicenses(ctx, sys, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuM365E3}}})
	noErr(t, err)
	if got := details(); got != 0 {
		t.Errorf("licenseDetails from the index: %d, want 0 (the index's state)", got)
	}
	reason := "test: an update failed"
	s.readiness.stale.Store(&reason)
	if s.indexCurrent() {
		t.Error("indexCurrent() = true after a failed update, want false")
	}
	if got := details(); got != 1 {
		t.Errorf("licenseDetails while the index is stale: %d, want 1 (from SQL)", got)
	}
}

// openPath opens the SQLite database at path.
func openPath(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{Synchronous: "NORMAL"})
	noErr(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
