package graph

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// TestUserLifecycle creates, reads, updates, deletes and restores a user
// through the API and checks Graph's shapes and statuses.
func TestUserLifecycle(t *testing.T) {
	f := newFixture(t)
	a := f.a
	resp := f.send(t, a, callerUser, "POST", "/v1.0/users", `{"accountEnabled":true,"displayName":"Adele Vance","mailNickname":"adele",
		"userPrincipalName":"adele@contoso.example","usageLocation":"fr","givenName":"Adele","surname":"Vance","jobTitle":null,
		"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"xWwvJ]6NMw+bWH-d"},"@odata.type":"#microsoft.graph.user"}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	created := resp.object(t)
	id, _ := created["id"].(string)
	want := map[string]any{
		"@odata.context": "http://allot.test/v1.0/$metadata#users/$entity",
		"businessPhones": []any{}, "displayName": "Adele Vance", "givenName": "Adele", "id": id, "jobTitle": nil,
		"mail": "adele@contoso.example", "mobilePhone": nil, "officeLocation": nil, "preferredLanguage": nil,
		"surname": "Vance", "userPrincipalName": "adele@contoso.example",
	}
	if d := diff(want, created); d != "" {
		t.Errorf("created user (-want +got):\n%s", d)
	}
	got := f.get(t, a, callerReader, "/v1.0/users/adele@contoso.example?$select=id,accountEnabled,usageLocation,assignedLicenses,createdDateTime,deletedDateTime").object(t)
	wantSel := map[string]any{
		"@odata.context":   "http://allot.test/v1.0/$metadata#users(id,accountEnabled,usageLocation,assignedLicenses,createdDateTime,deletedDateTime)/$entity",
		"id":               id,
		"accountEnabled":   true,
		"usageLocation":    "FR",
		"assignedLicenses": []any{},
		"createdDateTime":  "2026-03-01T11:00:00Z",
		"deletedDateTime":  nil,
	}
	if d := diff(wantSel, got); d != "" {
		t.Errorf("$select (-want +got):\n%s", d)
	}
	resp = f.send(t, a, callerGlobal, "PATCH", "/v1.0/users/"+id, `{"jobTitle":"CEO","accountEnabled":false,"userPrincipalName":"ADELE@contoso.example"}`)
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("patch: %d %q", resp.status, resp.body)
	}
	got = f.get(t, a, callerGlobal, "/v1.0/users/"+id+"?$select=jobTitle,AccountEnabled").object(t)
	if got["jobTitle"] != "CEO" || got["accountEnabled"] != false {
		t.Errorf("after patch: %v", got)
	}
	_, err := f.db.AssignLicenses(context.Background(), sys(a.tenant.ID), id, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
	must(t, err)
	if resp := f.send(t, a, callerGlobal, "DELETE", "/v1.0/users/"+id, ""); resp.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.status, resp.body)
	}
	if n := f.consumed(t, a, skuE3); n != 0 {
		t.Errorf("deleting frees the seat: consumed = %d, want 0", n)
	}
	if resp := f.get(t, a, callerGlobal, "/v1.0/users/"+id); resp.status != http.StatusNotFound {
		t.Errorf("deleted user still found: %d", resp.status)
	}
	del := f.get(t, a, callerGlobal, "/v1.0/directory/deletedItems/"+id+"?$select=id,deletedDateTime,assignedLicenses").object(t)
	if del["@odata.type"] != "#microsoft.graph.user" || del["deletedDateTime"] != "2026-03-01T11:00:00Z" || len(del["assignedLicenses"].([]any)) != 1 {
		t.Errorf("deleted item: %v", del)
	}
	list := f.get(t, a, callerGlobal, "/v1.0/directory/deletedItems/graph.user").values(t)
	if len(list) != 1 || list[0]["id"] != id || list[0]["deletedDateTime"] == nil {
		t.Errorf("deleted users: %v", list)
	}
	resp = f.send(t, a, callerUser, "POST", "/v1.0/directory/deletedItems/"+id+"/restore", `{"autoReconcileProxyConflict":true}`)
	if resp.status != http.StatusOK {
		t.Fatalf("restore: %d %s", resp.status, resp.body)
	}
	if r := resp.object(t); r["@odata.type"] != "#microsoft.graph.user" || r["id"] != id {
		t.Errorf("restored: %v", r)
	}
	if n := f.consumed(t, a, skuE3); n != 1 {
		t.Errorf("restoring takes the seat again: consumed = %d, want 1", n)
	}
}

// TestUserBodyRefusals sends bad user bodies and checks that each is
// refused with the right error and creates or changes nothing.
func TestUserBodyRefusals(t *testing.T) {
	f := newFixture(t)
	a := f.a
	target := a.users["target"]
	deleted := f.deletedUser(t, a)
	valid := `"displayName":"X","userPrincipalName":"x@contoso.example"`
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode, wantMsg        string
	}{
		{"unknown property", "POST", "/v1.0/users", `{` + valid + `,"favouriteColour":"red"}`, 400, codeBadRequest,
			"The property 'favouriteColour' does not exist on type 'microsoft.graph.user'."},
		{"unsupported property", "POST", "/v1.0/users", `{` + valid + `,"department":"Sales"}`, 400, codeBadRequest, "'department'"},
		{"read-only property", "POST", "/v1.0/users", `{` + valid + `,"assignedLicenses":[]}`, 400, codeBadRequest, "'assignedLicenses'"},
		{"displayName a number", "POST", "/v1.0/users", `{"displayName":5,"userPrincipalName":"x@contoso.example"}`, 400, codeBadRequest, "Edm.String"},
		{"accountEnabled a string", "POST", "/v1.0/users", `{` + valid + `,"accountEnabled":"yes"}`, 400, codeBadRequest, "Edm.Boolean"},
		{"accountEnabled null", "POST", "/v1.0/users", `{` + valid + `,"accountEnabled":null}`, 400, codeBadRequest, "'Null'"},
		{"passwordProfile a string", "POST", "/v1.0/users", `{` + valid + `,"passwordProfile":"x"}`, 400, codeBadRequest, "'StartObject' node was expected"},
		{"no displayName", "POST", "/v1.0/users", `{"userPrincipalName":"x@contoso.example"}`, 400, codeBadRequest, "displayName"},
		{"bad UPN", "POST", "/v1.0/users", `{"displayName":"X","userPrincipalName":"nobody"}`, 400, codeBadRequest, "userPrincipalName"},
		{"UPN taken", "POST", "/v1.0/users", `{"displayName":"X","userPrincipalName":"TARGET@contoso.example"}`, 400, codeBadRequest, "already exists"},
		{"bad usage location", "POST", "/v1.0/users", `{` + valid + `,"usageLocation":"XX"}`, 400, codeBadRequest, "usageLocation"},
		{"control characters", "POST", "/v1.0/users", `{"displayName":"a\u0000b","userPrincipalName":"y@contoso.example"}`, 400, codeBadRequest, "control characters"},
		{"property twice", "POST", "/v1.0/users", `{` + valid + `,"DisplayName":"Y"}`, 400, codeBadRequest, "more than once"},
		{"malformed", "POST", "/v1.0/users", `{"displayName":`, 400, codeBadRequest, "Unable to read JSON"},
		{"string body", "POST", "/v1.0/users", `"x"`, 400, codeBadRequest, "must be a JSON object"},
		{"patch unknown property", "PATCH", "/v1.0/users/" + target.ID, `{"nickname":"t"}`, 400, codeBadRequest, "does not exist on type"},
		{"patch wrong type", "PATCH", "/v1.0/users/" + target.ID, `{"jobTitle":["a"]}`, 400, codeBadRequest, "'StartArray' was read"},
		{"patch clears displayName", "PATCH", "/v1.0/users/" + target.ID, `{"displayName":null}`, 400, codeBadRequest, "displayName"},
		{"patch renames", "PATCH", "/v1.0/users/" + target.ID, `{"userPrincipalName":"renamed@contoso.example"}`, 501, codeNotImplemented, "userPrincipalName"},
		{"patch unknown user", "PATCH", "/v1.0/users/" + skuUnknown, `{"jobTitle":"x"}`, 404, codeNotFound, "does not exist"},
		{"delete unknown user", "DELETE", "/v1.0/users/nobody@contoso.example", ``, 404, codeNotFound, "does not exist"},
		{"delete self", "DELETE", "/v1.0/users/" + a.users[callerGlobal].ID, ``, 400, codeBadRequest, "own account"},
		{"restore malformed body", "POST", "/v1.0/directory/deletedItems/" + deleted.ID + "/restore", `{`, 400, codeBadRequest, "Unable to read JSON"},
		{"restore wrong type", "POST", "/v1.0/directory/deletedItems/" + deleted.ID + "/restore", `{"autoReconcileProxyConflict":"yes"}`, 400, codeBadRequest, "Edm.Boolean"},
		{"restore renaming", "POST", "/v1.0/directory/deletedItems/" + deleted.ID + "/restore", `{"newUserPrincipalName":"z@contoso.example"}`, 501, codeNotImplemented, "new userPrincipalName"},
		{"restore active user", "POST", "/v1.0/directory/deletedItems/" + target.ID + "/restore", ``, 404, codeNotFound, "does not exist"},
		{"deleted item not a GUID", "GET", "/v1.0/directory/deletedItems/abc", ``, 404, codeNotFound, "does not exist"},
	}
	count := func() int {
		n, err := f.db.CountUsers(context.Background(), sys(a.tenant.ID), allot.UserFilter{})
		must(t, err)
		return n
	}
	before := count()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.send(t, a, callerGlobal, tt.method, tt.path, tt.body)
			if resp.status != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d\n%s", tt.wantStatus, resp.status, resp.body)
			}
			e := resp.envelope(t)
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("error -want +got\n-%s: …%s…\n+%s: %s", tt.wantCode, tt.wantMsg, e.Error.Code, e.Error.Message)
			}
		})
	}
	if after := count(); after != before {
		t.Errorf("refused requests changed the number of users: -%d +%d", before, after)
	}
	u, err := f.db.FindUser(context.Background(), sys(a.tenant.ID), target.ID)
	must(t, err)
	if u.DisplayName != target.DisplayName || u.JobTitle != target.JobTitle || u.UserPrincipalName != target.UserPrincipalName {
		t.Errorf("refused patches changed the user: %+v", u)
	}
}

// TestRestoreWithoutSeat checks that a restore whose license has no seat
// left is refused with CountViolation and restores nothing.
func TestRestoreWithoutSeat(t *testing.T) {
	f := newFixture(t)
	a := f.a
	ctx := context.Background()
	u := f.freshUser(t, a)
	_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExchangeStd}}})
	must(t, err)
	must(t, f.db.DeleteUser(ctx, sys(a.tenant.ID), u.ID))
	other := f.freshUser(t, a)
	_, err = f.db.AssignLicenses(ctx, sys(a.tenant.ID), other.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExchangeStd}}})
	must(t, err)
	resp := f.send(t, a, callerGlobal, "POST", "/v1.0/directory/deletedItems/"+u.ID+"/restore", "")
	if resp.status != http.StatusBadRequest {
		t.Fatalf("status -want +got\n-400\n+%d %s", resp.status, resp.body)
	}
	e := resp.envelope(t)
	if len(e.Error.Details) != 1 || e.Error.Details[0].Code != allot.ECOUNTVIOLATION || e.Error.Details[0].Target != u.ID {
		t.Errorf("details = %+v, want one CountViolation on %s", e.Error.Details, u.ID)
	}
	if resp := f.get(t, a, callerGlobal, "/v1.0/directory/deletedItems/"+u.ID); resp.status != http.StatusOK {
		t.Errorf("the refused restore restored the user: %d", resp.status)
	}
}
