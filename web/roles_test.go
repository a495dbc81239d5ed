package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestRolesPage checks Roles: a Global Administrator grants and revokes, a
// duplicate, an unknown user and the last Global Administrator's
// revocation refused in the page's language beside what caused them,
// changing nothing; a Global Reader sees the holders without a control
// and is refused if they post; an ordinary user cannot open it.
func TestRolesPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	christie, adminID := "christie@"+demo.Domain, f.userID(t, demo.AdminUPN)
	holds := func(upn string, r allot.Role) bool {
		t.Helper()
		rs, err := f.db.FindRoles(ctx, f.sysUser, f.userID(t, upn))
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(rs, r)
	}
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	pg := b.get("/roles")
	if pg.status != http.StatusOK || !strings.Contains(pg.text(), "Global Administrator (1) "+demo.AdminUPN) {
		t.Fatalf("roles: %d\n%s", pg.status, pg.text())
	}
	grant := func(user string) url.Values {
		return url.Values{"csrf": {pg.csrf(t)}, "user": {user}, "role": {string(allot.RoleGlobalReader)}}
	}
	revoke := func(r allot.Role, userID string) url.Values {
		return url.Values{"csrf": {pg.csrf(t)}, "id": {allot.RoleAssignmentID(r, userID)}, "role": {string(r)}}
	}
	for _, tc := range []struct {
		name, lang, path string
		form             url.Values
		status           int
		text             string
		christieReads    bool
	}{
		{"grant", "en", "/roles/grant", grant(christie), http.StatusSeeOther, "", true},
		{"again", "en", "/roles/grant", grant(christie), http.StatusBadRequest, christie + " already holds the role Global Reader.", true},
		{"unknown user", "fr", "/roles/grant", grant("nobody@" + demo.Domain), http.StatusBadRequest, "Aucun utilisateur actif nobody@" + demo.Domain + ".", true},
		{"last global admin", "en", "/roles/revoke", revoke(allot.RoleGlobalAdmin, adminID), http.StatusBadRequest, "This is the last active Global Administrator", true},
		{"revoke", "en", "/roles/revoke", revoke(allot.RoleGlobalReader, f.userID(t, christie)), http.StatusSeeOther, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.lang = tc.lang
			res := b.post(tc.path, tc.form)
			if res.status != tc.status || !strings.Contains(res.text(), tc.text) {
				t.Errorf("status %d, want %d; want %q in:\n%s", res.status, tc.status, tc.text, res.text())
			}
			if got := holds(christie, allot.RoleGlobalReader); got != tc.christieReads {
				t.Errorf("Christie is a Global Reader: %v, want %v", got, tc.christieReads)
			}
			if !holds(demo.AdminUPN, allot.RoleGlobalAdmin) {
				t.Error("the administrator lost the Global Administrator role")
			}
		})
	}

	reader := f.browser(t)
	reader.signIn("miriam@" + demo.Domain)
	rp := reader.get("/roles")
	if rp.status != http.StatusOK || strings.Contains(rp.body, `action="/roles/`) || !strings.Contains(rp.text(), "Global Reader (1) miriam@") {
		t.Errorf("reader's page: %d\n%s", rp.status, rp.text())
	}
	if res := reader.post("/roles/grant", url.Values{"csrf": {rp.csrf(t)}, "user": {christie}, "role": {string(allot.RoleGlobalAdmin)}}); res.status != http.StatusForbidden || !strings.Contains(res.text(), "You do not have permission") {
		t.Errorf("reader's grant: %d %s", res.status, res.text())
	}
	if holds(christie, allot.RoleGlobalAdmin) {
		t.Error("the reader's grant was made")
	}
	user := f.browser(t)
	user.signIn(christie)
	if res := user.get("/roles"); res.status != http.StatusForbidden {
		t.Errorf("an ordinary user opens Roles: %d, want 403", res.status)
	}
}
