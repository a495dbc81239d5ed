package graph

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// allowed returns the wanted status per caller: ok for the callers named,
// 403 for other authenticated callers, 401 without a valid token.
func allowed(ok int, who ...string) map[string]int {
	want := map[string]int{}
	for _, c := range callers {
		switch c {
		case callerNone, callerBad, callerExpired, callerRevoked:
			want[c] = http.StatusUnauthorized
		default:
			want[c] = http.StatusForbidden
		}
	}
	for _, c := range who {
		want[c] = ok
	}
	return want
}

var (
	admins        = []string{callerGlobal, callerLicense, callerUser, callerBilling, callerReader}
	authenticated = append([]string{callerOrdinary}, admins...)
	everyone      = callers
)

// codeForStatus is the Graph error code each refusal must carry.
var codeForStatus = map[int]string{
	http.StatusUnauthorized: codeUnauthorized,
	http.StatusForbidden:    codeForbidden,
}

// TestRoles drives every endpoint as every kind of caller and checks the
// status and, on refusals, the Graph error code.
func TestRoles(t *testing.T) {
	f := newFixture(t, withMetrics)
	a := f.a
	e3Body := `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":[]}],"removeLicenses":[]}`
	tests := []struct {
		name   string
		method string
		path   func(caller string) string
		body   func(caller string) string
		header map[string]string
		want   map[string]int
	}{
		{name: "list subscribedSkus", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/subscribedSkus" }},
		{name: "get subscribedSku", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/subscribedSkus/" + a.tenant.ID + "_" + skuE3 }},
		{name: "get subscribedSku by bare skuId", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/subscribedSkus/" + skuE3 }},
		{name: "list users", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/users" }},
		{name: "count users", method: "GET", want: allowed(200, admins...), header: map[string]string{"ConsistencyLevel": "eventual"},
			path: func(string) string { return "/v1.0/users/$count" }},
		{name: "get another user", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/users/" + a.users["target"].ID }},
		{name: "get own user by UPN", method: "GET", want: allowed(200, authenticated...),
			path: func(c string) string { return "/v1.0/users/" + upnOf(f, c) }},
		{name: "another user's licenseDetails", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/users/" + a.users["target"].ID + "/licenseDetails" }},
		{name: "own licenseDetails", method: "GET", want: allowed(200, authenticated...),
			path: func(c string) string { return "/v1.0/users/" + upnOf(f, c) + "/licenseDetails" }},
		{name: "me", method: "GET", want: allowed(200, authenticated...),
			path: func(string) string { return "/v1.0/me" }},
		{name: "me licenseDetails", method: "GET", want: allowed(200, authenticated...),
			path: func(string) string { return "/v1.0/me/licenseDetails" }},
		{name: "list subscriptions", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/directory/subscriptions" }},
		{name: "get subscription", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/directory/subscriptions/" + a.subs[skuE3].ID }},
		{name: "list deleted users", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/directory/deletedItems/microsoft.graph.user" }},
		{name: "list deleted users, SDK cast", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/directory/deletedItems/graph.user" }},
		{name: "get deleted user", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/directory/deletedItems/" + f.deletedUser(t, a).ID }},
		{name: "create user", method: "POST", want: allowed(201, callerGlobal, callerUser),
			path: func(string) string { return "/v1.0/users" },
			body: func(c string) string {
				return fmt.Sprintf(`{"accountEnabled":true,"displayName":"New","userPrincipalName":"new-%s-%d@contoso.example","mailNickname":"new","passwordProfile":{"password":"x"}}`, c, f.seq.Add(1))
			}},
		{name: "update user", method: "PATCH", want: allowed(204, callerGlobal, callerUser),
			path: func(string) string { return "/v1.0/users/" + f.freshUser(t, a).ID },
			body: func(string) string { return `{"displayName":"Renamed","jobTitle":"Boss"}` }},
		{name: "update usage location only", method: "PATCH", want: allowed(204, callerGlobal, callerUser, callerLicense),
			path: func(string) string { return "/v1.0/users/" + f.freshUser(t, a).ID },
			body: func(string) string { return `{"usageLocation":"FR"}` }},
		{name: "delete user", method: "DELETE", want: allowed(204, callerGlobal, callerUser),
			path: func(string) string { return "/v1.0/users/" + f.freshUser(t, a).ID }},
		{name: "assignLicense", method: "POST", want: allowed(200, callerGlobal, callerLicense, callerUser),
			path: func(string) string { return "/v1.0/users/" + f.freshUser(t, a).ID + "/assignLicense" },
			body: func(string) string { return e3Body }},
		{name: "qualified assignLicense", method: "POST", want: allowed(200, callerGlobal, callerLicense, callerUser),
			path: func(string) string {
				return "/v1.0/users/" + f.freshUser(t, a).UserPrincipalName + "/microsoft.graph.assignLicense"
			},
			body: func(string) string { return e3Body }},
		{name: "me assignLicense", method: "POST", want: allowed(200, callerGlobal, callerLicense, callerUser),
			path: func(string) string { return "/v1.0/me/assignLicense" },
			body: func(string) string { return e3Body }},
		{name: "bulk assign (allot extension)", method: "POST", want: allowed(200, callerGlobal, callerLicense, callerUser),
			path: func(string) string { return "/api/bulkAssignLicense" },
			body: func(string) string {
				return `{"users":["` + f.freshUser(t, a).ID + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"allOrNothing"}`
			}},
		{name: "restore user", method: "POST", want: allowed(200, callerGlobal, callerUser),
			path: func(string) string { return "/v1.0/directory/deletedItems/" + f.deletedUser(t, a).ID + "/restore" }},
		{name: "list role definitions", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/roleManagement/directory/roleDefinitions" }},
		{name: "list role assignments", method: "GET", want: allowed(200, admins...),
			path: func(string) string { return "/v1.0/roleManagement/directory/roleAssignments" }},
		{name: "get a role assignment", method: "GET", want: allowed(200, admins...),
			path: func(string) string {
				return "/v1.0/roleManagement/directory/roleAssignments/" + allot.RoleAssignmentID(allot.RoleGlobalReader, a.users[callerReader].ID)
			}},
		{name: "grant a role", method: "POST", want: allowed(201, callerGlobal),
			path: func(string) string { return "/v1.0/roleManagement/directory/roleAssignments" },
			body: func(string) string {
				return `{"principalId":"` + f.freshUser(t, a).ID + `","roleDefinitionId":"` + allot.RoleGlobalReader.Definition().ID + `"}`
			}},
		{name: "revoke a role", method: "DELETE", want: allowed(204, callerGlobal),
			path: func(string) string {
				u := f.freshUser(t, a)
				must(t, f.db.AssignRole(context.Background(), sys(a.tenant.ID), u.ID, allot.RoleGlobalReader))
				return "/v1.0/roleManagement/directory/roleAssignments/" + allot.RoleAssignmentID(allot.RoleGlobalReader, u.ID)
			}},
		{name: "list tokens", method: "GET", want: allowed(200, callerGlobal),
			path: func(string) string { return "/api/tokens" }},
		{name: "create an application's token", method: "POST", want: allowed(201, callerGlobal),
			path: func(string) string { return "/api/tokens" },
			body: func(c string) string { return `{"app":"app-` + c + `","roles":["License Checker"]}` }},
		{name: "revoke a token", method: "DELETE", want: allowed(204, callerGlobal),
			path: func(string) string { return "/api/tokens/" + f.tokenID(t, a) }},
		{name: "healthz", method: "GET", want: allowed(200, everyone...),
			path: func(string) string { return "/healthz" }},
		{name: "metrics", method: "GET", want: allowed(http.StatusUnauthorized, everyone...), // only with the metrics token
			path: func(string) string { return "/metrics" }},
	}
	for _, tt := range tests {
		for _, c := range callers {
			t.Run(tt.name+"/"+c, func(t *testing.T) {
				rq := request{method: tt.method, path: tt.path(c), token: tokenOf(f, c), header: tt.header}
				if tt.body != nil {
					rq.body = []byte(tt.body(c))
				}
				resp := f.do(t, rq)
				if want := tt.want[c]; resp.status != want {
					t.Fatalf("%s %s as %s: status -want +got\n-%d\n+%d\n%s", rq.method, rq.path, c, want, resp.status, resp.body)
				}
				if resp.status < 400 {
					return
				}
				e := resp.envelope(t)
				if want := codeForStatus[resp.status]; e.Error.Code != want {
					t.Errorf("error code -want +got\n-%s\n+%s", want, e.Error.Code)
				}
				if resp.status == http.StatusUnauthorized && resp.header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			})
		}
	}
}

// tokenOf returns tenant A's token of a caller ("" for none).
func tokenOf(f *fixture, caller string) string { return f.a.tokens[caller] }

// upnOf returns the userPrincipalName of tenant A's caller, or of the
// target user for callers without a user.
func upnOf(f *fixture, caller string) string {
	if u, ok := f.a.users[caller]; ok {
		return u.UserPrincipalName
	}
	return f.a.users["target"].UserPrincipalName
}

// tokenID issues tenant A's target user a token and returns its id, for
// tests that revoke one.
func (f *fixture) tokenID(t testing.TB, tf *tenantFixture) string {
	t.Helper()
	_, tok, err := f.db.CreateToken(context.Background(), tf.tenant.ID, tf.users["target"].ID, time.Hour)
	must(t, err)
	return tok.ID
}
