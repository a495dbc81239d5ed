package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/sqlstore"
)

// withIndex serves license checks from an index kept in step by the
// store's commit hooks, as allot serve wires it.
func withIndex(t testing.TB) func(*Options, *Services) {
	return func(o *Options, s *Services) {
		db := s.Users.(*sqlstore.DB)
		ix := index.New(db.Catalog(), db)
		db.OnCommit(func(c allot.Change) {
			if err := ix.Apply(context.Background(), c); err != nil {
				t.Errorf("index: %v", err)
			}
		})
		must(t, ix.Load(context.Background()))
		s.Checks = ix
	}
}

func TestCheck(t *testing.T) {
	f := newFixture(t, withIndex(t))
	a := f.a
	u := f.freshUser(t, a)
	check := func(caller, user, plan string) CheckResult {
		t.Helper()
		resp := f.get(t, a, caller, "/api/check?user="+user+"&servicePlan="+plan)
		if resp.status != http.StatusOK {
			t.Fatalf("check: %d %s", resp.status, resp.body)
		}
		var r CheckResult
		must(t, json.Unmarshal(resp.body, &r))
		return r
	}
	if r := check(callerReader, u.ID, planExchange2); r.Licensed || r.Reason != allot.ReasonNoLicense {
		t.Errorf("before assignment: %+v", r)
	}
	resp := f.send(t, a, callerGlobal, "POST", "/v1.0/users/"+u.ID+"/assignLicense",
		`{"addLicenses":[{"skuId":"`+skuE3+`","disabledPlans":["`+planTeams+`"]}],"removeLicenses":[]}`)
	if resp.status != http.StatusOK {
		t.Fatalf("assign: %d %s", resp.status, resp.body)
	}
	// Visible to checks as soon as the write has returned.
	want := CheckResult{User: u.UserPrincipalName, UserID: u.ID, ServicePlanID: planExchange2, Licensed: true, SKUID: skuE3, Reason: allot.ReasonLicensed}
	if got := check(callerGlobal, u.UserPrincipalName, "EXCHANGE_S_ENTERPRISE"); got != want {
		t.Errorf("after assignment: %s", diff(want, got))
	}
	if r := check(callerGlobal, u.ID, planTeams); r.Licensed || r.Reason != allot.ReasonPlanDisabled {
		t.Errorf("disabled plan: %+v", r)
	}
	// Another tenant's user is unknown to this tenant's callers.
	if r := check(callerGlobal, f.b.users["target"].ID, planExchange2); r.Reason != allot.ReasonUserNotFound {
		t.Errorf("other tenant's user: %+v", r)
	}

	body := `{"checks":[{"user":"` + u.ID + `","servicePlan":"` + planExchange2 + `"},{"user":"ghost@contoso.example","servicePlan":"TEAMS1"},{"user":"` + u.ID + `","servicePlan":"NOPE"}]}`
	resp = f.send(t, a, callerLicense, "POST", "/api/check", body)
	var batch struct{ Results []CheckResult }
	must(t, json.Unmarshal(resp.body, &batch))
	var reasons []string
	for _, r := range batch.Results {
		reasons = append(reasons, r.Reason)
	}
	if d := diff([]string{allot.ReasonLicensed, allot.ReasonUserNotFound, allot.ReasonUnknownPlan}, reasons); resp.status != 200 || d != "" {
		t.Errorf("batch: %d %s", resp.status, d)
	}
}

func TestCheckRefusals(t *testing.T) {
	f := newFixture(t, withIndex(t))
	a := f.a
	// An application account holding only the License Checker role.
	app := f.createUser(t, a, "app", "")
	must(t, f.db.AssignRole(context.Background(), sys(a.tenant.ID), app.ID, allot.RoleLicenseChecker))
	secret, _, err := f.db.CreateToken(context.Background(), a.tenant.ID, app.ID, time.Hour)
	must(t, err)
	a.tokens["app"] = secret

	many := `{"checks":[` + strings.Repeat(`{"user":"x@contoso.example","servicePlan":"TEAMS1"},`, allot.MaxChecks) + `{"user":"x@contoso.example","servicePlan":"TEAMS1"}]}`
	tests := []struct {
		name, caller, method, path, body string
		status                           int
		code                             string
	}{
		{"checker app", "app", "GET", "/api/check?user=a@contoso.example&servicePlan=TEAMS1", "", 200, ""},
		{"checker app reads no users", "app", "GET", "/v1.0/users", "", 403, "Authorization_RequestDenied"},
		{"ordinary user", callerOrdinary, "GET", "/api/check?user=a@contoso.example&servicePlan=TEAMS1", "", 403, "Authorization_RequestDenied"},
		{"no token", callerNone, "GET", "/api/check?user=a@contoso.example&servicePlan=TEAMS1", "", 401, "InvalidAuthenticationToken"},
		{"revoked token", callerRevoked, "POST", "/api/check", `{"checks":[]}`, 401, "InvalidAuthenticationToken"},
		{"missing parameters", callerGlobal, "GET", "/api/check?user=a@contoso.example", "", 400, "Request_BadRequest"},
		{"empty batch", callerGlobal, "POST", "/api/check", `{"checks":[]}`, 400, "Request_BadRequest"},
		{"batch too large", callerGlobal, "POST", "/api/check", many, 400, "Request_BadRequest"},
		{"malformed JSON", callerGlobal, "POST", "/api/check", `{"checks":[`, 400, "Request_BadRequest"},
		{"wrong type", callerGlobal, "POST", "/api/check", `{"checks":[{"user":5,"servicePlan":"TEAMS1"}]}`, 400, "Request_BadRequest"},
		{"missing field", callerGlobal, "POST", "/api/check", `{"checks":[{"user":"a@contoso.example"}]}`, 400, "Request_BadRequest"},
		{"unknown field", callerGlobal, "POST", "/api/check", `{"checks":[],"x":1}`, 400, "Request_BadRequest"},
		{"wrong method", callerGlobal, "DELETE", "/api/check", "", 405, "Request_BadRequest"},
		{"ordinary user's batch, refused unread", callerOrdinary, "POST", "/api/check", `{"checks":[`, 403, "Authorization_RequestDenied"},
		{"batch over 1 MiB", callerGlobal, "POST", "/api/check", `{"checks":[],"pad":"` + strings.Repeat("x", maxCheckBody) + `"}`, 413, "Request_EntityTooLarge"},
	}
	for _, tt := range tests {
		resp := f.send(t, a, tt.caller, tt.method, tt.path, tt.body)
		if resp.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.status, tt.status, resp.body)
			continue
		}
		if tt.code != "" {
			if e := resp.envelope(t); e.Error.Code != tt.code {
				t.Errorf("%s: code %q, want %q", tt.name, e.Error.Code, tt.code)
			}
		}
	}
}

func TestCheckNotEnabled(t *testing.T) {
	f := newFixture(t)
	resp := f.get(t, f.a, callerGlobal, "/api/check?user=a@contoso.example&servicePlan=TEAMS1")
	if resp.status != http.StatusNotImplemented {
		t.Errorf("without a check service: %d %s", resp.status, resp.body)
	}
}
