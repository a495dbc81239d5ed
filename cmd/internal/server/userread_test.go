package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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

// TestReadUserAtIndexRows checks that GET /users/{id} on a running SQLite
// server, which reads each user at the row the index's hint names, answers
// as before whatever became of the rows behind the index's back: a user
// moved to another row (as VACUUM may renumber them), another user moved
// into its old row, a user deleted; by id and by UPN, with and without
// its licenses.
func TestReadUserAtIndexRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	db := openPath(t, path)
	tn := &allot.Tenant{Name: "R", Domain: "r.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	sys := allot.SystemPrincipal(tn.ID, "test")
	noErr(t, db.CreateSubscription(ctx, sys, &allot.Subscription{SKUID: skuM365E3, Quantity: 5}))
	var users []*allot.User
	for _, name := range []string{"admin", "moved", "other", "gone"} {
		u := &allot.User{UserPrincipalName: name + "@r.example", DisplayName: name, UsageLocation: "FR", AccountEnabled: true}
		noErr(t, db.CreateUser(ctx, sys, u))
		users = append(users, u)
	}
	admin, moved, other, gone := users[0], users[1], users[2], users[3]
	noErr(t, db.AssignRole(ctx, sys, admin.ID, allot.RoleGlobalAdmin))
	_, err := db.AssignLicenses(ctx, sys, moved.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuM365E3}}})
	noErr(t, err)
	token, _, err := db.CreateToken(ctx, tn.ID, admin.UserPrincipalName, time.Hour)
	noErr(t, err)
	s, err := Start(ctx, db, Options{Logger: discard()})
	noErr(t, err)
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get := func(path string) string {
		t.Helper()
		req, err := http.NewRequest("GET", ts.URL+path, nil)
		noErr(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		noErr(t, err)
		defer resp.Body.Close()
		var b json.RawMessage
		noErr(t, json.NewDecoder(resp.Body).Decode(&b))
		if resp.StatusCode != http.StatusOK {
			return resp.Status // an error's body names a request id
		}
		return string(b)
	}
	var paths []string
	for _, u := range []*allot.User{moved, other, gone} {
		for _, key := range []string{u.ID, strings.ToUpper(u.UserPrincipalName)} {
			paths = append(paths, "/v1.0/users/"+key, "/v1.0/users/"+key+"?$select=id,assignedLicenses")
		}
	}
	want := map[string]string{}
	for _, p := range paths {
		want[p] = get(p)
	}
	movedRow, otherRow := s.index.UserRow(tn.ID, moved.ID), s.index.UserRow(tn.ID, other.ID)
	if movedRow == 0 || otherRow == 0 {
		t.Fatalf("the index's row hints: %d and %d, want rowids", movedRow, otherRow)
	}
	// Behind the index's back: moved to a new row, other into moved's old
	// one. Then gone deleted through the API, which the index hears of.
	sqliteExec(t, path,
		`UPDATE users SET rowid = (SELECT MAX(rowid) + 100 FROM users) WHERE user_id = '`+moved.ID+`'`,
		fmt.Sprintf(`UPDATE users SET rowid = %d WHERE user_id = '%s'`, movedRow, other.ID))
	req, err := http.NewRequest("DELETE", ts.URL+"/v1.0/users/"+gone.ID, nil)
	noErr(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	noErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %s", resp.Status)
	}
	for _, p := range paths {
		w := want[p]
		if strings.Contains(p, gone.ID) || strings.Contains(p, strings.ToUpper(gone.UserPrincipalName)) {
			w = "404 Not Found"
		}
		if got := get(p); got != w {
			t.Errorf("GET %s -want +got\n-%s\n+%s", p, w, got)
		}
	}
	if got := s.index.UserRow(tn.ID, moved.ID); got != movedRow {
		t.Errorf("moved's hint %d, want the stale %d (the test's premise)", got, movedRow)
	}
}

// sqliteExec runs statements on a connection of its own to the SQLite
// file at path.
func sqliteExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	noErr(t, err)
	defer raw.Close()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
