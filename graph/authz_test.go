package graph

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/allot-project/allot"
)

// authzRule is what a route needs of its caller, for the authorization
// matrix (TestAuthorizationMatrix). Every registered route must have one:
// a new route without an entry in authzRules fails the test.
type authzRule struct {
	// action is what the caller's roles must allow; "" with self set means
	// any signed-in user (the /me routes, and an ordinary user's own
	// requests); kind overrides both.
	action allot.Action
	// self: any user may call it about themselves; an application gets 400
	// or 403 (Graph: /me needs a delegated token).
	self bool
	// kind: "public" (no token needed), "metrics" (the metrics token only).
	kind string
	// id names the object its {id} stands for (an id kind of
	// matrixIDs), and body is the request's body.
	id   string
	body string
	// query is appended to the path; header is sent.
	query  string
	header map[string]string
	// everyTenant: the object is the same in every tenant (built-in role
	// definitions), so another tenant's caller may read it.
	everyTenant bool
	// owner: only this caller, who made the object (an operation), may
	// read it; every other valid caller gets 404 (or 403).
	owner string
}

// authzRules are the rules of every route, by its registered pattern.
var authzRules = map[string]authzRule{
	"GET /healthz": {kind: "public"},
	"GET /metrics": {kind: "metrics"},

	"GET /v1.0/subscribedSkus":                            {action: allot.ActionRead},
	"GET /v1.0/subscribedSkus/{id}":                       {action: allot.ActionRead, id: "subscribedSku"},
	"GET /v1.0/directory/subscriptions":                   {action: allot.ActionRead},
	"GET /v1.0/directory/subscriptions/{id}":              {action: allot.ActionRead, id: "subscription"},
	"GET /api/subscriptions":                              {action: allot.ActionRead},
	"GET /api/subscriptions/{id}":                         {action: allot.ActionRead, id: "subscription"},
	"POST /api/subscriptions":                             {action: allot.ActionManageSubscriptions, body: `{"skuId":"` + skuNotOwned + `","quantity":1}`},
	"PATCH /api/subscriptions/{id}":                       {action: allot.ActionManageSubscriptions, id: "subscription", body: `{"quantity":101}`},
	"POST /api/subscriptions/{id}/takeover":               {action: allot.ActionManageSubscriptions, id: "subscription", body: `{}`},
	"GET /api/policies/selfService":                       {action: allot.ActionRead},
	"PATCH /api/policies/selfService/{id}":                {action: allot.ActionManageSubscriptions, id: "subscribedSku", everyTenant: true, body: `{"policy":"trials","dryRun":true}`},
	"POST /api/subscriptions/selfService":                 {self: true, body: `{"skuId":"NOPE","quantity":1}`},
	"POST /api/subscriptions/reclaim":                     {action: allot.ActionManageSubscriptions, body: `{"skuId":"ENTERPRISEPACK","dryRun":true}`},
	"GET /v1.0/users":                                     {action: allot.ActionRead},
	"POST /v1.0/users":                                    {action: allot.ActionManageUsers, body: `{"displayName":"New","userPrincipalName":"new@contoso.example","accountEnabled":true,"mailNickname":"new","passwordProfile":{"password":"x"}}`},
	"GET /v1.0/users/$count":                              {action: allot.ActionRead, header: map[string]string{"ConsistencyLevel": "eventual"}},
	"GET /v1.0/users/{id}":                                {action: allot.ActionRead, id: "user"},
	"PATCH /v1.0/users/{id}":                              {action: allot.ActionManageUsers, id: "user", body: `{"displayName":"Renamed"}`},
	"DELETE /v1.0/users/{id}":                             {action: allot.ActionManageUsers, id: "user"},
	"GET /v1.0/me":                                        {self: true},
	"POST /v1.0/users/{id}/assignLicense":                 {action: allot.ActionAssignLicenses, id: "user", body: assignBody},
	"POST /v1.0/users/{id}/microsoft.graph.assignLicense": {action: allot.ActionAssignLicenses, id: "user", body: assignBody},
	"POST /v1.0/me/assignLicense":                         {action: allot.ActionAssignLicenses, self: true, body: assignBody},
	"POST /v1.0/me/microsoft.graph.assignLicense":         {action: allot.ActionAssignLicenses, self: true, body: assignBody},
	"GET /v1.0/users/{id}/licenseDetails":                 {action: allot.ActionRead, id: "user"},
	"GET /v1.0/me/licenseDetails":                         {self: true},
	"GET /v1.0/users/{id}/licenseDetails/{detailsId}":     {action: allot.ActionRead, id: "user"},
	"GET /v1.0/me/licenseDetails/{detailsId}":             {self: true},

	"GET /v1.0/directory/deletedItems/microsoft.graph.user":          {action: allot.ActionRead},
	"GET /v1.0/directory/deletedItems/graph.user":                    {action: allot.ActionRead},
	"GET /v1.0/directory/deletedItems/{id}":                          {action: allot.ActionRead, id: "deleted"},
	"POST /v1.0/directory/deletedItems/{id}/restore":                 {action: allot.ActionManageUsers, id: "deleted"},
	"POST /v1.0/directory/deletedItems/{id}/microsoft.graph.restore": {action: allot.ActionManageUsers, id: "deleted"},
	"GET /v1.0/domains":      {action: allot.ActionRead},
	"GET /v1.0/domains/{id}": {action: allot.ActionRead, id: "domain"},

	"GET /v1.0/" + roleDefinitionsPath:              {action: allot.ActionRead},
	"GET /v1.0/" + roleDefinitionsPath + "/{id}":    {action: allot.ActionRead, id: "roleDefinition", everyTenant: true},
	"GET /v1.0/" + roleAssignmentsPath:              {action: allot.ActionRead},
	"POST /v1.0/" + roleAssignmentsPath:             {action: allot.ActionManageRoles, body: `{"principalId":"%user%","roleDefinitionId":"` + allot.LicenseCheckerTemplateID + `","directoryScopeId":"/"}`},
	"GET /v1.0/" + roleAssignmentsPath + "/{id}":    {action: allot.ActionRead, id: "roleAssignment"},
	"DELETE /v1.0/" + roleAssignmentsPath + "/{id}": {action: allot.ActionManageRoles, id: "roleAssignment"},

	"GET /v1.0/auditLogs/directoryAudits":      {action: allot.ActionReadAudit},
	"GET /v1.0/auditLogs/directoryAudits/{id}": {action: allot.ActionReadAudit, id: "audit"},

	"POST /api/bulkAssignLicense": {action: allot.ActionAssignLicenses, body: `{"users":["%user%"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"allOrNothing"}`},
	"GET /api/check":              {action: allot.ActionCheck, query: "?user=%user%&servicePlan=" + planTeams},
	"POST /api/check":             {action: allot.ActionCheck, body: `{"checks":[{"user":"%user%","servicePlan":"` + planTeams + `"}]}`},
	"GET /api/tokens":             {action: allot.ActionManageRoles},
	"POST /api/tokens":            {action: allot.ActionManageRoles, body: `{"app":"Portal","roles":["license checker"],"ttl":"720h"}`},
	"DELETE /api/tokens/{id}":     {action: allot.ActionManageRoles, id: "token"},
	"POST /api/users/import":      {action: allot.ActionAssignLicenses, body: "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\nimported@contoso.example,Imported,US,true,\n", header: map[string]string{"Content-Type": "text/csv"}},
	"GET /api/users/export":       {action: allot.ActionRead},

	"GET /api/operations/{id}":        {owner: callerLicense, id: "operation"},
	"GET /api/operations/{id}/result": {owner: callerLicense, id: "operation"},

	"GET /api/holds":                             {action: allot.ActionManageHolds},
	"POST /api/holds":                            {action: allot.ActionManageHolds, body: `{"user":"%user%","name":"Case 42"}`},
	"POST /api/holds/{id}/release":               {action: allot.ActionManageHolds, id: "hold"},
	"GET /api/dataRetention":                     {action: allot.ActionRead},
	"PATCH /api/dataRetention":                   {action: allot.ActionManageHolds, body: `{"fileRetentionDays":90}`},
	"POST /api/users/{id}/offboard":              {action: allot.ActionManageUsers, id: "user", body: `{"dryRun":true}`},
	"GET /api/discovery/mailboxes":               {action: allot.ActionManageHolds},
	"GET /api/users/{id}/data":                   {action: allot.ActionRead, id: "user"},
	"POST /api/users/{id}/preview/assignLicense": {action: allot.ActionAssignLicenses, id: "user", body: assignBody},
	"POST /api/users/{id}/preview/delete":        {action: allot.ActionManageUsers, id: "user"},
}

// assignBody is a well-formed license change, refused for the role, not
// the body.
const assignBody = `{"addLicenses":[{"skuId":"` + skuE3 + `"}],"removeLicenses":[]}`

// matrixCaller is one caller of the matrix: a user holding role (none for
// the ordinary user), the License Checker application, or a request
// without a valid token.
type matrixCaller struct {
	name  string
	roles []allot.Role
	app   bool
	valid bool
}

var matrixCallers = []matrixCaller{
	{name: callerGlobal, roles: []allot.Role{allot.RoleGlobalAdmin}, valid: true},
	{name: callerLicense, roles: []allot.Role{allot.RoleLicenseAdmin}, valid: true},
	{name: callerUser, roles: []allot.Role{allot.RoleUserAdmin}, valid: true},
	{name: callerBilling, roles: []allot.Role{allot.RoleBillingAdmin}, valid: true},
	{name: callerReader, roles: []allot.Role{allot.RoleGlobalReader}, valid: true},
	{name: callerOrdinary, valid: true},
	{name: "checker", roles: []allot.Role{allot.RoleLicenseChecker}, app: true, valid: true},
	{name: callerNone}, {name: callerBad}, {name: callerExpired}, {name: callerRevoked},
}

// allowed reports whether rule lets c in, in its own tenant.
func (rule authzRule) allowed(c matrixCaller) bool {
	p := allot.Principal{TenantID: "t", UserID: "u", Roles: c.roles}
	switch {
	case !c.valid:
		return false
	case c.app && rule.self:
		return false // 400 or 403: /me needs a user
	case rule.action == "":
		return rule.self
	}
	return p.Can(rule.action)
}

// TestAuthorizationMatrix calls every registered route as every caller,
// in its own tenant and, for routes about one object, on another
// tenant's object: denied callers get 401 or 403, allowed ones neither,
// reads of one's own tenant 200, and another tenant's objects are never
// answered with success. No answer is a 5xx.
func TestAuthorizationMatrix(t *testing.T) {
	reads := newFixture(t, withIndex(t), withMetrics, withImports) // shared by the routes that change nothing
	readIDs := matrixIDs(t, reads)
	routes := reads.srv.routes
	t.Cleanup(func() { t.Logf("%d routes, %d requests", len(routes), matrixRequests.Load()) })
	for _, pattern := range routes {
		if _, ok := authzRules[pattern]; !ok {
			t.Errorf("route %q has no rule in authzRules (graph/authz_test.go): add one", pattern)
		}
	}
	for _, pattern := range routes {
		rule, ok := authzRules[pattern]
		if !ok {
			continue
		}
		t.Run(pattern, func(t *testing.T) {
			t.Parallel()
			f, ids := reads, readIDs
			if !strings.HasPrefix(pattern, "GET ") {
				f = newFixture(t, withIndex(t), withMetrics, withImports) // fresh: the writes change it
				ids = matrixIDs(t, f)
			}
			if strings.Contains(pattern, "{") && rule.kind == "" && !rule.everyTenant {
				for _, c := range matrixCallers {
					if resp := f.matrixCall(t, f.b, c, pattern, rule, ids); resp.status < 300 || resp.status >= 500 {
						t.Errorf("%s of the other tenant: %d %s, want a refusal", c.name, resp.status, short(resp.body))
					}
				}
			}
			for _, allowedFirst := range []bool{false, true} { // refusals first: the allowed may delete
				for _, c := range matrixCallers {
					if rule.kind == "" && rule.allowed(c) == allowedFirst {
						f.checkMatrixCall(t, c, pattern, rule, ids)
					}
				}
			}
			if rule.kind != "" {
				for _, c := range matrixCallers {
					f.checkMatrixCall(t, c, pattern, rule, ids)
				}
			}
		})
	}
}

// checkMatrixCall makes one call in tenant A and checks its status.
func (f *fixture) checkMatrixCall(t *testing.T, c matrixCaller, pattern string, rule authzRule, ids map[string]string) {
	t.Helper()
	resp := f.matrixCall(t, f.a, c, pattern, rule, ids)
	method, _, _ := strings.Cut(pattern, " ")
	got := resp.status
	switch {
	case got >= 500:
		t.Errorf("%s: %d %s", c.name, got, short(resp.body))
	case rule.kind == "public":
		if got != http.StatusOK {
			t.Errorf("%s: %d, want 200", c.name, got)
		}
	case rule.kind == "metrics" || !c.valid:
		if got != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", c.name, got, short(resp.body))
		}
	case rule.owner != "":
		if c.name == rule.owner && got != http.StatusOK || c.name != rule.owner && got != http.StatusNotFound && got != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 200 for %s, else 404 or 403", c.name, got, short(resp.body), rule.owner)
		}
	case c.app && rule.self:
		if got != http.StatusBadRequest && got != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 400 or 403", c.name, got, short(resp.body))
		}
	case !rule.allowed(c):
		if got != http.StatusForbidden || resp.envelope(t).Error.Code != codeForbidden {
			t.Errorf("%s: %d %s, want 403 %s", c.name, got, short(resp.body), codeForbidden)
		}
	case got == http.StatusUnauthorized || got == http.StatusForbidden:
		t.Errorf("%s: %d %s, want it allowed", c.name, got, short(resp.body))
	case method == "GET" && !rule.self && got != http.StatusOK:
		t.Errorf("%s: %d %s, want 200", c.name, got, short(resp.body))
	}
}

// matrixRequests counts the requests of the matrix, for its log line.
var matrixRequests atomic.Int64

// matrixCall calls pattern as caller c of tenant tf, with the ids of
// tenant A.
func (f *fixture) matrixCall(t *testing.T, tf *tenantFixture, c matrixCaller, pattern string, rule authzRule, ids map[string]string) *response {
	t.Helper()
	matrixRequests.Add(1)
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{id}", ids[rule.id])
	path = strings.ReplaceAll(path, "{detailsId}", ids["details"])
	path = strings.ReplaceAll(path+rule.query, "%user%", ids["user"])
	rq := request{method: method, path: path, token: tf.tokens[c.name], header: rule.header}
	if rule.kind == "metrics" && c.name == callerNone {
		rq.token = ""
	}
	if rule.body != "" {
		rq.body = []byte(strings.ReplaceAll(rule.body, "%user%", ids["user"]))
	} else if method == "POST" || method == "PATCH" {
		rq.body = []byte(`{}`)
	}
	return f.do(t, rq)
}

// matrixIDs gives tenant A's target a license, gives both tenants a
// License Checker application's token, and returns the ids the routes'
// {id} stand for, by kind.
func matrixIDs(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	a := f.a
	target := a.users["target"]
	_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), target.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
	must(t, err)
	for _, tf := range []*tenantFixture{f.a, f.b} {
		secret, _, err := f.db.CreateAppToken(ctx, sys(tf.tenant.ID), "Checker", []allot.Role{allot.RoleLicenseChecker}, 24*365*3600e9)
		must(t, err)
		tf.tokens["checker"] = secret
	}
	_, tok := appToken(t, f, "Revocable", allot.RoleLicenseChecker)
	op := f.startAsync(t, a, callerLicense, "/api/bulkAssignLicense", `{"users":["`+target.ID+`"],"addLicenses":[{"skuId":"`+skuE3+`"}],"dryRun":true}`, nil)
	f.awaitOperation(t, a, callerLicense, op)
	hold := &allot.Hold{UserID: target.ID, Name: "Matrix"}
	must(t, f.db.CreateHold(ctx, sys(a.tenant.ID), hold))
	first := func(path string) string { // as the License Administrator sees it
		t.Helper()
		v := f.get(t, a, callerLicense, path).values(t)
		if len(v) == 0 {
			t.Fatalf("%s lists nothing", path)
		}
		return v[0]["id"].(string)
	}
	return map[string]string{
		"user":           target.ID,
		"subscription":   a.subs[skuE3].ID,
		"subscribedSku":  first("/v1.0/subscribedSkus"),
		"deleted":        f.deletedUser(t, a).ID,
		"domain":         a.tenant.Domain,
		"roleDefinition": first("/v1.0/" + roleDefinitionsPath),
		"roleAssignment": allot.RoleAssignmentID(allot.RoleBillingAdmin, a.users[callerBilling].ID),
		"audit":          first("/v1.0/auditLogs/directoryAudits"),
		"token":          tok.ID,
		"hold":           hold.ID,
		"details":        first("/v1.0/users/" + target.ID + "/licenseDetails"),
		"operation":      strings.TrimPrefix(op, OperationsPath+"/"),
	}
}

// short returns the start of a body, for failure messages.
func short(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
