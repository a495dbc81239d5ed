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

// readsServer is a running SQLite server for the reads' tests: a tenant
// with five seats of E3 and users named as asked, the first a Global
// Administrator whose token do sends.
type readsServer struct {
	*Server
	path   string
	tenant string
	sys    allot.Principal
	users  []*allot.User
	url    string
	token  string
}

// startReads starts a readsServer with users named names (the first the
// administrator) and closes it when the test ends.
func startReads(t *testing.T, names ...string) *readsServer {
	t.Helper()
	ctx := context.Background()
	r := &readsServer{path: filepath.Join(t.TempDir(), "allot.db")}
	db := openPath(t, r.path)
	tn := &allot.Tenant{Name: "R", Domain: "r.example"}
	noErr(t, db.CreateTenant(ctx, tn))
	r.tenant, r.sys = tn.ID, allot.SystemPrincipal(tn.ID, "test")
	noErr(t, db.CreateSubscription(ctx, r.sys, &allot.Subscription{SKUID: skuM365E3, Quantity: 5}))
	for _, name := range names {
		u := &allot.User{UserPrincipalName: name + "@r.example", DisplayName: name, UsageLocation: "FR", AccountEnabled: true}
		noErr(t, db.CreateUser(ctx, r.sys, u))
		r.users = append(r.users, u)
	}
	noErr(t, db.AssignRole(ctx, r.sys, r.users[0].ID, allot.RoleGlobalAdmin))
	var err error
	r.token, _, err = db.CreateToken(ctx, tn.ID, r.users[0].UserPrincipalName, time.Hour)
	noErr(t, err)
	r.Server, err = Start(ctx, db, Options{Logger: discard()})
	noErr(t, err)
	t.Cleanup(func() { r.Close() })
	ts := httptest.NewServer(r.Handler())
	t.Cleanup(ts.Close)
	r.url = ts.URL
	return r
}

// do sends a request with the administrator's token and returns the
// answer's status and JSON body (empty for none).
func (r *readsServer) do(t *testing.T, method, path, body string) (*http.Response, json.RawMessage) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	noErr(t, err)
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	noErr(t, err)
	defer resp.Body.Close()
	var b json.RawMessage
	if resp.StatusCode != http.StatusNoContent {
		noErr(t, json.NewDecoder(resp.Body).Decode(&b))
	}
	return resp, b
}

// TestLicenseDetailsFromIndex checks where a running SQLite server reads
// licenseDetails from: from the index, which holds each of its own
// commits before the write is answered (an assignLicense followed at once
// by a read shows it), and from SQL while the index is not provably
// current (a failed update of it).
func TestLicenseDetailsFromIndex(t *testing.T) {
	r := startReads(t, "admin", "u")
	u := r.users[1]
	call := func(method, path, body string) []byte {
		t.Helper()
		resp, b := r.do(t, method, path, body)
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
	if !r.indexCurrent() {
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
	other := openPath(t, r.path)
	_, err := other.AssignLicenses(context.Background(), r.sys, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuM365E3}}})
	noErr(t, err)
	if got := details(); got != 0 {
		t.Errorf("licenseDetails from the index: %d, want 0 (the index's state)", got)
	}
	reason := "test: an update failed"
	r.readiness.stale.Store(&reason)
	if r.indexCurrent() {
		t.Error("indexCurrent() = true after a failed update, want false")
	}
	if got := details(); got != 1 {
		t.Errorf("licenseDetails while the index is stale: %d, want 1 (from SQL)", got)
	}
}

// TestUserFromIndex checks GET /users/{id} on a running SQLite server,
// which answers from the index: after each change, through the API or
// the store, the user read by id and by userPrincipalName in another case
// is the one SQL reads (the same server with its index marked stale), its
// userPrincipalName in its own case; a license change, which carries no
// profile, keeps it. A commit the process does not hear of shows that
// the index answers.
func TestUserFromIndex(t *testing.T) {
	r := startReads(t, "admin")
	ctx := context.Background()
	resp, b := r.do(t, "POST", "/v1.0/users", `{"accountEnabled":true,"displayName":"Mixed Case","userPrincipalName":"Mixed.Case@R.example",
		"givenName":"Mixed","surname":"Case","jobTitle":"Tester","usageLocation":"FR"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /users: %s %s", resp.Status, b)
	}
	var created struct{ ID string }
	noErr(t, json.Unmarshal(b, &created))
	id := created.ID
	paths := []string{"/v1.0/users/" + id, "/v1.0/users/mixed.case@r.EXAMPLE"}
	get := func(path string) string {
		t.Helper()
		resp, b := r.do(t, "GET", path, "")
		if resp.StatusCode != http.StatusOK { // its innerError names the request
			var e struct {
				Error struct{ Code, Message string }
			}
			noErr(t, json.Unmarshal(b, &e))
			return resp.Status + " " + e.Error.Code + ": " + e.Error.Message
		}
		return resp.Status + " " + string(b)
	}
	fromSQL := func(path string) string {
		t.Helper()
		reason := "test: read from SQL"
		r.readiness.stale.Store(&reason)
		defer r.readiness.stale.Store(nil)
		return get(path)
	}
	call := func(method, path, body string, want int) {
		t.Helper()
		if resp, b := r.do(t, method, path, body); resp.StatusCode != want {
			t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
		}
	}
	steps := []struct {
		name   string
		change func()
		want   string // in the answer by id
	}{
		{"created", func() {}, `"userPrincipalName":"Mixed.Case@R.example"`},
		{"patched", func() {
			call("PATCH", "/v1.0/users/"+id, `{"displayName":"Renamed","givenName":"Given","surname":"Sur","jobTitle":"Lead"}`, http.StatusNoContent)
		}, `"displayName":"Renamed","givenName":"Given","id":"` + id + `","jobTitle":"Lead"`},
		{"licensed", func() {
			call("POST", "/v1.0/users/"+id+"/assignLicense", `{"addLicenses":[{"skuId":"`+skuM365E3+`"}],"removeLicenses":[]}`, http.StatusOK)
		}, `"displayName":"Renamed"`},
		{"bulk license change", func() {
			call("POST", "/api/bulkAssignLicense", `{"users":["`+id+`"],"removeLicenses":["`+skuM365E3+`"]}`, http.StatusOK)
		}, `"displayName":"Renamed"`},
		{"imported", func() {
			_, err := r.db.ImportUsers(ctx, r.sys, []allot.ImportRow{{Line: 2, UserPrincipalName: "MIXED.case@r.example", DisplayName: "Imported",
				UsageLocation: "FR", AccountEnabled: true}}, allot.ImportOptions{})
			noErr(t, err)
		}, `"displayName":"Imported"`},
		{"deleted", func() { call("DELETE", "/v1.0/users/"+id, "", http.StatusNoContent) }, "404 Not Found"},
		{"restored", func() { call("POST", "/v1.0/directory/deletedItems/"+id+"/restore", "", http.StatusOK) }, `"displayName":"Imported"`},
	}
	for _, st := range steps {
		st.change()
		for _, p := range paths {
			got, want := get(p), fromSQL(p)
			if got != want {
				t.Errorf("%s: GET %s -SQL +index\n-%s\n+%s", st.name, p, want, got)
			}
		}
		if got := get(paths[0]); !strings.Contains(got, st.want) {
			t.Errorf("%s: GET %s = %s, want it to hold %s", st.name, paths[0], got, st.want)
		}
		if _, ok, _ := r.index.ReadUser(r.sys, id); !ok {
			t.Errorf("%s: the index cannot answer (it holds no profile of the user), want it to", st.name)
		}
	}
	// A commit this process does not hear of.
	other := openPath(t, r.path)
	name := "Behind its back"
	_, err := other.UpdateUser(ctx, r.sys, id, allot.UserUpdate{DisplayName: &name})
	noErr(t, err)
	if got := get(paths[0]); !strings.Contains(got, `"displayName":"Imported"`) {
		t.Errorf("GET from the index: %s, want the index's state (Imported)", got)
	}
	if got := fromSQL(paths[0]); !strings.Contains(got, `"displayName":"Behind its back"`) {
		t.Errorf("GET from SQL: %s, want the store's state", got)
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
// server, which reads each user at the row the index's hint names (with
// its licenses, or while the index is not current), answers
// as before whatever became of the rows behind the index's back: a user
// moved to another row (as VACUUM may renumber them), another user moved
// into its old row, a user deleted; by id and by UPN, with and without
// its licenses.
func TestReadUserAtIndexRows(t *testing.T) {
	r := startReads(t, "admin", "moved", "other", "gone")
	moved, other, gone := r.users[1], r.users[2], r.users[3]
	_, err := r.db.AssignLicenses(context.Background(), r.sys, moved.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuM365E3}}})
	noErr(t, err)
	get := func(path string) string {
		t.Helper()
		resp, b := r.do(t, "GET", path, "")
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
	movedRow, otherRow := r.index.UserRow(r.tenant, moved.ID), r.index.UserRow(r.tenant, other.ID)
	if movedRow == 0 || otherRow == 0 {
		t.Fatalf("the index's row hints: %d and %d, want rowids", movedRow, otherRow)
	}
	// Behind the index's back: moved to a new row, other into moved's old
	// one. Then gone deleted through the API, which the index hears of.
	sqliteExec(t, r.path,
		`UPDATE users SET rowid = (SELECT MAX(rowid) + 100 FROM users) WHERE user_id = '`+moved.ID+`'`,
		fmt.Sprintf(`UPDATE users SET rowid = %d WHERE user_id = '%s'`, movedRow, other.ID))
	if resp, _ := r.do(t, "DELETE", "/v1.0/users/"+gone.ID, ""); resp.StatusCode != http.StatusNoContent {
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
	if got := r.index.UserRow(r.tenant, moved.ID); got != movedRow {
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
