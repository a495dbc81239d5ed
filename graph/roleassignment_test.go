package graph

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

const gaTemplate = "62e90394-69f5-4237-9190-012177145e10"

func TestRoleDefinitionsShape(t *testing.T) {
	f := newFixture(t)
	resp := f.get(t, f.a, callerReader, "/v1.0/roleManagement/directory/roleDefinitions")
	if resp.status != http.StatusOK {
		t.Fatalf("status %d %s", resp.status, resp.body)
	}
	defs := resp.values(t)
	var names []string
	for _, d := range defs {
		names = append(names, d["displayName"].(string)+" "+d["id"].(string))
	}
	want := []string{"Global Administrator 62e90394-69f5-4237-9190-012177145e10", "License Administrator 4d6ac14f-3453-41d0-bef9-a3e0c569773a",
		"User Administrator fe930be7-5e62-47db-91af-98c3a49a38b1", "Billing Administrator b0f54661-2d74-4c50-afa3-1ec803f12efe",
		"Global Reader f2ef992c-3afb-46b9-b7cf-a126ee74c451", "License Checker " + allot.LicenseCheckerTemplateID}
	if d := diff(want, names); d != "" {
		t.Errorf("roles (-want +got):\n%s", d)
	}
	one := f.get(t, f.a, callerGlobal, "/v1.0/roleManagement/directory/roleDefinitions/"+strings.ToUpper(allot.LicenseCheckerTemplateID)).object(t)
	delete(one, "@odata.context")
	wantOne := map[string]any{"id": allot.LicenseCheckerTemplateID, "templateId": allot.LicenseCheckerTemplateID, "displayName": "License Checker",
		"description": allot.RoleLicenseChecker.Definition().Description, "isBuiltIn": true, "isEnabled": true, "resourceScopes": []any{"/"}, "version": "1",
		"rolePermissions": []any{map[string]any{"allowedResourceActions": []any{"allot/check-licenses"}, "condition": nil}}}
	if d := diff(wantOne, one); d != "" {
		t.Errorf("License Checker (-want +got):\n%s", d)
	}
	if resp := f.get(t, f.a, callerGlobal, "/v1.0/roleManagement/directory/roleDefinitions/"+skuUnknown); resp.status != http.StatusNotFound {
		t.Errorf("unknown role definition: %d %s", resp.status, resp.body)
	}
}

func TestRoleAssignmentsAPI(t *testing.T) {
	f := newFixture(t)
	a := f.a
	const base = "/v1.0/roleManagement/directory/roleAssignments"
	u := f.freshUser(t, a)
	body := `{"@odata.type":"#microsoft.graph.unifiedRoleAssignment","principalId":"` + u.ID + `","roleDefinitionId":"` + gaTemplate + `","directoryScopeId":"/"}`
	created := f.send(t, a, callerGlobal, "POST", base, body)
	id := allot.RoleAssignmentID(allot.RoleGlobalAdmin, u.ID)
	if created.status != http.StatusCreated || created.header.Get("Location") != "http://allot.test"+base+"/"+id {
		t.Fatalf("create: %d %v %s", created.status, created.header, created.body)
	}
	got := created.object(t)
	delete(got, "@odata.context")
	want := map[string]any{"id": id, "principalId": u.ID, "roleDefinitionId": gaTemplate, "directoryScopeId": "/", "appScopeId": nil, "condition": nil}
	if d := diff(want, got); d != "" {
		t.Errorf("created (-want +got):\n%s", d)
	}

	list := f.get(t, a, callerReader, base+"?$filter=principalId%20eq%20'"+u.ID+"'&$expand=principal").values(t)
	want["principal"] = map[string]any{"@odata.type": "#microsoft.graph.user", "id": u.ID, "userPrincipalName": u.UserPrincipalName}
	if d := diff([]map[string]any{want}, list); d != "" {
		t.Errorf("filtered by principalId (-want +got):\n%s", d)
	}
	gas := f.get(t, a, callerReader, base+"?$filter=roleDefinitionId%20eq%20"+gaTemplate+"%20and%20principalId%20eq%20"+a.users[callerGlobal].ID).values(t)
	if len(gas) != 1 || gas[0]["principalId"] != a.users[callerGlobal].ID {
		t.Errorf("filtered by role and principal: %v", gas)
	}
	if one := f.get(t, a, callerReader, base+"/"+id); one.status != http.StatusOK || one.object(t)["principalId"] != u.ID {
		t.Errorf("get one: %d %s", one.status, one.body)
	}

	refusals := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"a duplicate", "POST", base, body, 400, codeBadRequest, "A conflicting object with one or more of the specified property values is present in the directory"},
		{"no principalId", "POST", base, `{"roleDefinitionId":"` + gaTemplate + `"}`, 400, codeBadRequest, "principalId"},
		{"a malformed principalId", "POST", base, `{"principalId":"x","roleDefinitionId":"` + gaTemplate + `"}`, 400, codeBadRequest, "Edm.Guid"},
		{"an unknown role", "POST", base, `{"principalId":"` + u.ID + `","roleDefinitionId":"` + skuUnknown + `"}`, 400, codeBadRequest, "role definition"},
		{"another scope", "POST", base, `{"principalId":"` + u.ID + `","roleDefinitionId":"` + gaTemplate + `","directoryScopeId":"/administrativeUnits/x"}`, 400, codeBadRequest, "scope"},
		{"an unknown principal", "POST", base, `{"principalId":"` + skuUnknown + `","roleDefinitionId":"` + gaTemplate + `"}`, 404, codeNotFound, skuUnknown},
		{"another tenant's user", "POST", base, `{"principalId":"` + f.b.users[callerOrdinary].ID + `","roleDefinitionId":"` + gaTemplate + `"}`, 404, codeNotFound, ""},
		{"an unsupported filter", "GET", base + "?$filter=directoryScopeId%20eq%20'/'", "", 400, codeUnsupportedQuery, "directoryScopeId"},
		{"an unsupported expand", "GET", base + "?$expand=roleDefinition", "", 400, codeUnsupportedQuery, "roleDefinition"},
		{"an unknown id", "GET", base + "/nope", "", 404, codeNotFound, "nope"},
		{"another tenant's assignment", "DELETE", base + "/" + allot.RoleAssignmentID(allot.RoleGlobalAdmin, f.b.users[callerGlobal].ID), "", 404, codeNotFound, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.send(t, a, callerGlobal, tt.method, tt.path, tt.body)
			if resp.status != tt.status {
				t.Fatalf("status -want +got\n-%d\n+%d\n%s", tt.status, resp.status, resp.body)
			}
			e := resp.envelope(t)
			if e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.message) {
				t.Errorf("error -want +got\n-%s …%s…\n+%s %s", tt.code, tt.message, e.Error.Code, e.Error.Message)
			}
		})
	}

	if resp := f.send(t, a, callerGlobal, "DELETE", base+"/"+id, ""); resp.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.status, resp.body)
	}
	if resp := f.send(t, a, callerGlobal, "DELETE", base+"/"+id, ""); resp.status != http.StatusNotFound {
		t.Errorf("delete twice: %d %s", resp.status, resp.body)
	}
	last := f.send(t, a, callerGlobal, "DELETE", base+"/"+allot.RoleAssignmentID(allot.RoleGlobalAdmin, a.users[callerGlobal].ID), "")
	if last.status != http.StatusBadRequest || !strings.Contains(last.envelope(t).Error.Message, "last Global Administrator") {
		t.Errorf("revoking the last Global Administrator: %d %s", last.status, last.body)
	}
	del := f.send(t, a, callerUser, "DELETE", "/v1.0/users/"+a.users[callerGlobal].ID, "")
	if del.status != http.StatusBadRequest || !strings.Contains(del.envelope(t).Error.Message, "last Global Administrator") {
		t.Errorf("deleting the last Global Administrator: %d %s", del.status, del.body)
	}
}

// appToken issues tenant A an application token holding roles.
func appToken(t *testing.T, f *fixture, name string, roles ...allot.Role) (string, *allot.Token) {
	t.Helper()
	secret, tok, err := f.db.CreateAppToken(context.Background(), sys(f.a.tenant.ID), name, roles, time.Hour*24*365)
	must(t, err)
	return secret, tok
}

// TestLicenseCheckerOnlyChecks calls every registered route with a License
// Checker application's token: /api/check answers, every other API route
// is 403 (healthz needs no token; metrics asks for the metrics token).
func TestLicenseCheckerOnlyChecks(t *testing.T) {
	f := newFixture(t, withIndex(t), withMetrics)
	secret, _ := appToken(t, f, "Checker", allot.RoleLicenseChecker)
	target := f.a.users["target"]
	values := map[string]string{"id": target.ID, "idOrUPN": target.ID}
	open := map[string]int{"GET /healthz": 200, "GET /metrics": 401, "GET /api/check": 200, "POST /api/check": 200}
	if len(f.srv.routes) < 30 {
		t.Fatalf("only %d routes registered", len(f.srv.routes))
	}
	for _, pattern := range f.srv.routes {
		t.Run(pattern, func(t *testing.T) {
			method, path, _ := strings.Cut(pattern, " ")
			for name := range strings.SplitSeq(path, "/") {
				if strings.HasPrefix(name, "{") {
					v := values[strings.Trim(name, "{}.")]
					if v == "" {
						v = target.ID
					}
					path = strings.Replace(path, name, v, 1)
				}
			}
			rq := request{method: method, path: path, token: secret}
			switch pattern {
			case "GET /api/check":
				rq.path += "?user=" + target.ID + "&servicePlan=" + planTeams
			case "POST /api/check":
				rq.body = []byte(`{"checks":[{"user":"` + target.ID + `","servicePlan":"` + planTeams + `"}]}`)
			case "GET /v1.0/users/$count":
				rq.header = map[string]string{"ConsistencyLevel": "eventual"}
			case "POST /api/bulkAssignLicense":
				rq.body = []byte(`{"users":["` + target.ID + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"allOrNothing"}`)
			default:
				switch {
				case strings.HasSuffix(path, "assignLicense"): // a well-formed change: refused for the role, not the body
					rq.body = []byte(`{"addLicenses":[{"skuId":"` + skuE3 + `"}],"removeLicenses":[]}`)
				case method == "POST" || method == "PATCH":
					rq.body = []byte(`{}`)
				}
			}
			want, ok := open[pattern]
			if !ok {
				want = http.StatusForbidden
			}
			resp := f.do(t, rq)
			if resp.status != want {
				t.Fatalf("status -want +got\n-%d\n+%d\n%s", want, resp.status, resp.body)
			}
			if want == http.StatusForbidden && resp.envelope(t).Error.Code != codeForbidden {
				t.Errorf("code %s", resp.body)
			}
		})
	}
}

func TestTokensAPI(t *testing.T) {
	f := newFixture(t)
	a := f.a
	created := f.send(t, a, callerGlobal, "POST", "/api/tokens", `{"app":"Portal","roles":["license checker"],"ttl":"720h"}`)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	tok := created.object(t)
	secret, _ := tok["secret"].(string)
	if !strings.HasPrefix(secret, "allot_") || tok["ownerType"] != "application" || tok["owner"] != "Portal" || tok["revokedDateTime"] != nil {
		t.Fatalf("created token %v", tok)
	}
	check := f.do(t, request{method: "GET", path: "/v1.0/users", token: secret})
	if check.status != http.StatusForbidden {
		t.Errorf("the application reading users: %d", check.status)
	}
	ras := f.get(t, a, callerReader, "/v1.0/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20'"+tok["ownerId"].(string)+"'&$expand=principal").values(t)
	if len(ras) != 1 || ras[0]["roleDefinitionId"] != allot.LicenseCheckerTemplateID ||
		ras[0]["principal"].(map[string]any)["@odata.type"] != "#microsoft.graph.servicePrincipal" {
		t.Errorf("the application's role assignments: %v", ras)
	}

	list := f.get(t, a, callerGlobal, "/api/tokens").values(t)
	var ids []string
	for _, ti := range list {
		if _, shown := ti["secret"]; shown {
			t.Errorf("a listed token shows its secret: %v", ti)
		}
		ids = append(ids, ti["id"].(string))
	}
	if !strings.Contains(strings.Join(ids, " "), tok["id"].(string)) {
		t.Errorf("the new token is not listed: %v", ids)
	}
	for _, tt := range []struct {
		name, caller, method, path, body string
		want                             int
	}{
		{"a reader lists", callerReader, "GET", "/api/tokens", "", 403},
		{"a License Administrator creates", callerLicense, "POST", "/api/tokens", `{"app":"x","roles":["License Checker"]}`, 403},
		{"no role", callerGlobal, "POST", "/api/tokens", `{"app":"x","roles":[]}`, 400},
		{"an unknown role", callerGlobal, "POST", "/api/tokens", `{"app":"x","roles":["Owner"]}`, 400},
		{"a bad ttl", callerGlobal, "POST", "/api/tokens", `{"app":"x","roles":["License Checker"],"ttl":"soon"}`, 400},
		{"not JSON", callerGlobal, "POST", "/api/tokens", `app=x`, 400},
		{"another tenant revokes", callerGlobal, "DELETE", "/api/tokens/" + tok["id"].(string), "", 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tf := a
			if tt.name == "another tenant revokes" {
				tf = f.b
			}
			if resp := f.send(t, tf, tt.caller, tt.method, tt.path, tt.body); resp.status != tt.want {
				t.Errorf("status -want +got\n-%d\n+%d\n%s", tt.want, resp.status, resp.body)
			}
		})
	}
	if resp := f.send(t, a, callerGlobal, "DELETE", "/api/tokens/"+tok["id"].(string), ""); resp.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.status, resp.body)
	}
	f.clock.Add(2 * time.Second) // past the token cache
	if resp := f.do(t, request{method: "GET", path: "/api/check?user=x&servicePlan=y", token: secret}); resp.status != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d %s", resp.status, resp.body)
	}
}

// TestAppPrincipalHasNoUser checks the endpoints that read the caller's own
// user with an application, which has none.
func TestAppPrincipalHasNoUser(t *testing.T) {
	f := newFixture(t)
	secret, _ := appToken(t, f, "Reader app", allot.RoleGlobalReader)
	for _, path := range []string{"/v1.0/me", "/v1.0/me/licenseDetails", "/v1.0/me/assignLicense"} {
		method := "GET"
		if strings.HasSuffix(path, "assignLicense") {
			method = "POST"
		}
		resp := f.do(t, request{method: method, path: path, token: secret, body: []byte(`{"addLicenses":[],"removeLicenses":[]}`)})
		if resp.status != http.StatusBadRequest || !strings.Contains(resp.envelope(t).Error.Message, "delegated") {
			t.Errorf("%s as an application: %d %s", path, resp.status, resp.body)
		}
	}
	if resp := f.do(t, request{method: "GET", path: "/v1.0/users/" + f.a.users["target"].ID, token: secret}); resp.status != http.StatusOK {
		t.Errorf("a reader application reading a user: %d %s", resp.status, resp.body)
	}
}
