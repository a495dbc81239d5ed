package graph

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// fuzzBodyRoutes are the routes with a body that FuzzBodies sends to,
// besides assignLicense and the user routes (FuzzAssignLicenseBody,
// FuzzUserBody).
var fuzzBodyRoutes = []struct{ method, path string }{
	{"POST", "/api/bulkAssignLicense"},
	{"POST", "/api/check"},
	{"POST", "/api/tokens"},
	{"POST", "/api/subscriptions"},
	{"PATCH", "/api/subscriptions/{sub}"},
	{"POST", "/v1.0/" + roleAssignmentsPath},
	{"POST", "/v1.0/directory/deletedItems/{target}/restore"},
	{"POST", "/api/users/import?dryRun=true"},
}

// FuzzBodies sends arbitrary bodies to every other route that reads one,
// as a Global Administrator on a real store: never a 5xx, always a valid
// envelope on errors. (Accepted writes are fine: the property is the
// absence of crashes and of internal errors.)
func FuzzBodies(f *testing.F) {
	for i, s := range []string{
		`{"users":["` + skuE3 + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"mode":"allOrNothing","dryRun":true}`,
		`{"checks":[{"user":"a@contoso.example","servicePlan":"TEAMS1"}]}`,
		`{"app":"Portal","roles":["license checker"],"ttl":"720h"}`,
		`{"skuId":"` + skuNotOwned + `","quantity":1,"dryRun":true}`,
		`{"quantity":100,"dryRun":true}`,
		`{"principalId":"` + skuE3 + `","roleDefinitionId":"` + allot.LicenseCheckerTemplateID + `","directoryScopeId":"/"}`,
		`{}`,
		"userPrincipalName,displayName,usageLocation,accountEnabled,licenses\nx@contoso.example,X,US,true,SPE_E3\n",
	} {
		f.Add(uint8(i), []byte(s))
		f.Add(uint8(i), []byte(`[{"x":`+strings.Repeat("[", 50)))
	}
	fx := newFixture(f, quiet, withIndex(f), withImports)
	a := fx.a
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzBodyRoutes[int(route)%len(fuzzBodyRoutes)]
		path := strings.NewReplacer("{sub}", a.subs[skuE3].ID, "{target}", a.users["target"].ID).Replace(r.path)
		resp := fx.do(t, request{method: r.method, path: path, token: a.tokens[callerGlobal], body: body})
		checkResponse(t, resp, body)
	})
}

// fuzzQueryRoutes are the GET routes whose query FuzzQueries varies.
var fuzzQueryRoutes = []string{
	"/v1.0/users",
	"/v1.0/users/{target}",
	"/v1.0/subscribedSkus",
	"/v1.0/directory/subscriptions",
	"/v1.0/directory/deletedItems/microsoft.graph.user",
	"/v1.0/" + roleAssignmentsPath,
	"/v1.0/" + roleDefinitionsPath,
	"/v1.0/auditLogs/directoryAudits",
	"/v1.0/users/{target}/licenseDetails",
	"/v1.0/domains",
	"/api/check",
	"/api/subscriptions",
	"/api/tokens",
	"/api/users/export",
}

// FuzzQueries sends arbitrary query strings ($filter, $select, $top,
// $skiptoken, $count, $expand and the rest) to every GET route with query
// options: never a 5xx, always a valid envelope on errors.
func FuzzQueries(f *testing.F) {
	for i, q := range []string{
		"$filter=assignedLicenses/any(x:x/skuId eq " + skuE3 + ")&$select=id,displayName&$top=5&$count=true",
		"$select=id",
		"$top=1&$skiptoken=abc",
		"$filter=id eq 'x'",
		"$filter=principalId eq '" + skuE3 + "'&$expand=principal",
		"$filter=skuId eq '" + skuE3 + "'",
		"$filter=activityDateTime ge 2026-01-01T00:00:00Z and initiatedBy/user/id eq '" + skuE3 + "'",
		"user=x&servicePlan=TEAMS1",
		"$orderby=displayName&$search=\"x\"",
	} {
		f.Add(uint8(i), q)
	}
	fx := newFixture(f, quiet, withIndex(f), withImports)
	a := fx.a
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		path := strings.ReplaceAll(fuzzQueryRoutes[int(route)%len(fuzzQueryRoutes)], "{target}", a.users["target"].ID)
		u, err := url.Parse("http://allot.test" + path)
		if err != nil {
			t.Fatal(err)
		}
		u.RawQuery = query
		if _, err := url.ParseQuery(query); err != nil || strings.IndexFunc(query, func(c rune) bool { return c <= ' ' || c == '#' || c >= 0x7f }) >= 0 {
			u.RawQuery = url.Values{"$filter": {query}}.Encode() // a query net/http would refuse before us
		}
		resp := fx.do(t, request{method: "GET", path: path + "?" + u.RawQuery, token: a.tokens[callerGlobal],
			header: map[string]string{"ConsistencyLevel": "eventual"}})
		if resp.status < 300 && !strings.HasPrefix(resp.header.Get("Content-Type"), "application/json") {
			return // the CSV export
		}
		checkResponse(t, resp, []byte(query))
	})
}

// FuzzBulkBody checks the bulk body decoder alone: a 400 *apiError, or a
// change whose users are well-formed ids or names, within the cap.
func FuzzBulkBody(f *testing.F) {
	f.Add([]byte(`{"users":["` + skuE3 + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"removeLicenses":[],"mode":"perUser","skipUnchanged":true}`))
	f.Add([]byte(`{"users":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeBulkChange(body)
		if err != nil {
			var ae *apiError
			var e *allot.Error
			if !errors.As(err, &e) && (!errors.As(err, &ae) || ae.status != http.StatusBadRequest) {
				t.Fatalf("decodeBulkChange(%q) = %#v, want a 400", body, err)
			}
			return
		}
		if len(b.Users) > MaxBulkUsers {
			t.Fatalf("decodeBulkChange let %d users through", len(b.Users))
		}
	})
}

// FuzzCheckBody checks the license-check batch decoder alone.
func FuzzCheckBody(f *testing.F) {
	f.Add([]byte(`{"checks":[{"user":"a@contoso.example","servicePlan":"TEAMS1"}]}`))
	f.Add([]byte(`{"checks":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checks, err := decodeChecks(body)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.message == "" {
				t.Fatalf("decodeChecks(%q) = %#v, want a 400 *apiError", body, err)
			}
			return
		}
		for _, c := range checks {
			if c.User == "" || c.ServicePlan == "" {
				t.Fatalf("decodeChecks(%q) let an empty check through: %+v", body, c)
			}
		}
	})
}
