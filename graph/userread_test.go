package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/sqlstore"
)

// indexReads is what allot serve wires on SQLite once its index is
// loaded: users from SQL, licenseDetails from the index.
type indexReads struct {
	ix     *index.Index
	db     *sqlstore.DB
	served *atomic.Int64 // licenseDetails the index answered
}

func (r indexReads) ReadUser(ctx context.Context, p allot.Principal, idOrUPN string, withLicenses bool) (*allot.User, error) {
	return r.db.ReadUser(ctx, p, idOrUPN, withLicenses)
}

func (r indexReads) FindUserLicenses(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error) {
	r.served.Add(1)
	return r.ix.FindUserLicenses(ctx, p, idOrUPN)
}

// withIndexReads is withIndex with licenseDetails read from the index,
// counting in served.
func withIndexReads(t testing.TB, served *atomic.Int64) func(*Options, *Services) {
	return func(o *Options, s *Services) {
		withIndex(t)(o, s)
		s.Reads = indexReads{ix: s.Checks.(*index.Index), db: s.Users.(*sqlstore.DB), served: served}
	}
}

// readsFixture is a fixture whose server reads licenseDetails from the
// index, and two more servers over the same store: one reading them with
// Services.Reads from SQL, one with FindUser (no Reads).
type readsFixture struct {
	*fixture
	served   atomic.Int64
	sql, old *Server
}

func newReadsFixture(t *testing.T) *readsFixture {
	rf := &readsFixture{}
	var svc Services
	var opts Options
	keep := func(o *Options, s *Services) { svc, opts = *s, *o }
	rf.fixture = newFixture(t, withIndexReads(t, &rf.served), keep)
	svc.Reads = rf.db
	rf.sql = NewServer(svc, opts)
	svc.Reads = nil
	rf.old = NewServer(svc, opts)
	return rf
}

// on serves rq through srv.
func (rf *readsFixture) on(t *testing.T, srv *Server, rq request) *response {
	t.Helper()
	keep := rf.srv
	defer func() { rf.srv = keep }()
	rf.srv = srv
	return rf.do(t, rq)
}

// TestLicenseDetailsPathsAgree checks that licenseDetails read from the
// index answer exactly what SQL answers, byte for byte (errors: the same
// status, code and message), for users with no, one and several licenses
// (assigned in another order than their SKUs sort), with disabled plans,
// by id, UPN or /me, deleted, unknown, or another user's for a user.
func TestLicenseDetailsPathsAgree(t *testing.T) {
	f := newReadsFixture(t)
	a := f.a
	none, one, several, gone := f.freshUser(t, a), f.freshUser(t, a), f.freshUser(t, a), f.deletedUser(t, a)
	ctx := context.Background()
	assign := func(id string, l allot.AssignedLicense) {
		t.Helper()
		f.clock.Add(time.Minute)
		_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), id, allot.LicenseChange{Add: []allot.AssignedLicense{l}})
		must(t, err)
	}
	assign(one.ID, allot.AssignedLicense{SKUID: skuE3, DisabledPlans: []string{planTeams}})
	assign(several.ID, allot.AssignedLicense{SKUID: skuExchangeStd}) // sorts after E3, assigned before it
	assign(several.ID, allot.AssignedLicense{SKUID: skuE3, DisabledPlans: []string{planExchange2}})
	details := "/licenseDetails/" + licenseDetailsID(a.tenant.ID, skuE3)
	tests := []struct {
		name, caller, path string
		wantStatus         int
		wantCount          int // licenseDetails in a 200 collection
	}{
		{"no license", callerReader, "/v1.0/users/" + none.ID + "/licenseDetails", 200, 0},
		{"one license, a plan disabled", callerReader, "/v1.0/users/" + one.ID + "/licenseDetails", 200, 1},
		{"several licenses", callerReader, "/v1.0/users/" + several.ID + "/licenseDetails", 200, 2},
		{"by UPN in upper case", callerReader, "/v1.0/users/" + strings.ToUpper(several.UserPrincipalName) + "/licenseDetails", 200, 2},
		{"by id in upper case, $select", callerReader, "/v1.0/users/" + strings.ToUpper(several.ID) + "/licenseDetails?$select=skuId,servicePlans", 200, 2},
		{"one by its id", callerReader, "/v1.0/users/" + several.ID + details, 200, -1},
		{"one the user lacks", callerReader, "/v1.0/users/" + none.ID + details, 404, 0},
		{"me", callerOrdinary, "/v1.0/me/licenseDetails", 200, 0},
		{"own by UPN", callerOrdinary, "/v1.0/users/" + a.users[callerOrdinary].UserPrincipalName + "/licenseDetails", 200, 0},
		{"another user's", callerOrdinary, "/v1.0/users/" + several.ID + "/licenseDetails", 403, 0},
		{"deleted", callerReader, "/v1.0/users/" + gone.ID + "/licenseDetails", 404, 0},
		{"deleted by UPN", callerReader, "/v1.0/users/" + gone.UserPrincipalName + "/licenseDetails", 404, 0},
		{"unknown id", callerReader, "/v1.0/users/ffffffff-0000-4000-8000-000000000001/licenseDetails", 404, 0},
		{"unknown UPN", callerReader, "/v1.0/users/ghost@contoso.example/licenseDetails", 404, 0},
		{"another tenant's user", callerReader, "/v1.0/users/" + f.b.users[callerOrdinary].ID + "/licenseDetails", 404, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq := request{method: "GET", path: tt.path, token: a.tokens[tt.caller]}
			before := f.served.Load()
			got := f.do(t, rq)
			if f.served.Load() == before && tt.wantStatus != 403 {
				t.Errorf("the index did not answer")
			}
			if got.status != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d %s", tt.wantStatus, got.status, got.body)
			}
			if tt.wantStatus == 200 && tt.wantCount >= 0 {
				if n := len(got.values(t)); n != tt.wantCount {
					t.Errorf("licenseDetails -want +got\n-%d\n+%d", tt.wantCount, n)
				}
			}
			for name, srv := range map[string]*Server{"SQL": f.sql, "FindUser": f.old} {
				want := f.on(t, srv, rq)
				switch {
				case want.status != got.status:
					t.Errorf("%s: status -want +got\n-%d\n+%d", name, want.status, got.status)
				case got.status == 200 && string(want.body) != string(got.body):
					t.Errorf("%s: body -want +got\n-%s\n+%s", name, want.body, got.body)
				case got.status != 200 && (want.envelope(t).Error.Code != got.envelope(t).Error.Code || want.envelope(t).Error.Message != got.envelope(t).Error.Message):
					t.Errorf("%s: error -want +got\n-%s\n+%s", name, want.body, got.body)
				}
			}
		})
	}
	body := string(f.get(t, a, callerReader, "/v1.0/users/"+several.ID+"/licenseDetails").body)
	if i, j := strings.Index(body, skuE3), strings.Index(body, skuExchangeStd); i < 0 || j < i {
		t.Errorf("licenseDetails not in SKU order (E3 first): %s", body)
	}
}

// TestLicenseDetailsReadYourWrites checks, through the API, that a
// license change's answer is sent only once the index holds it: a
// licenseDetails read right after each assignLicense shows its outcome.
func TestLicenseDetailsReadYourWrites(t *testing.T) {
	var served atomic.Int64
	f := newFixture(t, withIndexReads(t, &served))
	a := f.a
	u := f.freshUser(t, a)
	path := "/v1.0/users/" + u.ID
	for i := range 6 {
		body, want := `{"addLicenses":[{"skuId":"`+skuE3+`"}],"removeLicenses":[]}`, 1
		if i%2 == 1 {
			body, want = `{"addLicenses":[],"removeLicenses":["`+skuE3+`"]}`, 0
		}
		if resp := f.send(t, a, callerLicense, "POST", path+"/assignLicense", body); resp.status != http.StatusOK {
			t.Fatalf("assignLicense %d: %d %s", i, resp.status, resp.body)
		}
		if n := len(f.get(t, a, callerReader, path+"/licenseDetails").values(t)); n != want {
			t.Errorf("licenseDetails right after change %d -want +got\n-%d\n+%d", i, want, n)
		}
	}
	if served.Load() != 6 {
		t.Errorf("licenseDetails the index answered: %d, want 6", served.Load())
	}
}

// TestUserReadsLicensesOnlyWhenSelected checks that GET /users/{id}
// renders the same user through Services.Reads, with or without the
// properties computed from its licenses.
func TestUserReadsLicensesOnlyWhenSelected(t *testing.T) {
	f := newReadsFixture(t)
	a := f.a
	u := f.freshUser(t, a)
	_, err := f.db.AssignLicenses(context.Background(), sys(a.tenant.ID), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3, DisabledPlans: []string{planTeams}}}})
	must(t, err)
	for _, path := range []string{
		"/v1.0/users/" + u.ID,
		"/v1.0/users/" + u.UserPrincipalName + "?$select=id,assignedLicenses,licenseAssignmentStates",
		"/v1.0/users/" + u.ID + "?$select=assignedPlans,provisionedPlans,displayName",
		"/v1.0/users/ghost@contoso.example",
		"/v1.0/me?$select=id,assignedLicenses",
	} {
		rq := request{method: "GET", path: path, token: a.tokens[callerReader]}
		got, want := f.do(t, rq), f.on(t, f.old, rq)
		if got.status != want.status || got.status == 200 && string(got.body) != string(want.body) {
			t.Errorf("%s -want +got\n-%d %s\n+%d %s", path, want.status, want.body, got.status, got.body)
		}
		if strings.Contains(path, "assignedLicenses") && !strings.Contains(string(got.body), skuE3) && !strings.HasPrefix(path, "/v1.0/me") {
			t.Errorf("%s: no license in %s", path, got.body)
		}
	}
}

// TestDefaultUserBytes checks that a user written with the default
// properties directly (writeDefaultUser) is byte for byte what rendering
// userType through maps gives, for names that need escaping or are unset.
func TestDefaultUserBytes(t *testing.T) {
	tests := []struct {
		name string
		u    allot.User
	}{
		{"plain", allot.User{ID: "0a1b2c3d-0000-4000-8000-000000000001", UserPrincipalName: "ada@contoso.example", DisplayName: "Ada Lovelace", GivenName: "Ada", Surname: "Lovelace", JobTitle: "Analyst"}},
		{"unset names", allot.User{ID: "0a1b2c3d-0000-4000-8000-000000000002", UserPrincipalName: "x@contoso.example", DisplayName: "X"}},
		{"escapes", allot.User{ID: "0a1b2c3d-0000-4000-8000-000000000003", UserPrincipalName: "q@contoso.example", DisplayName: `"Q" <b>&\ ` + "\t\u2028", GivenName: "Zoë", Surname: "Ñ & <", JobTitle: "日本"}},
		{"empty display name", allot.User{ID: "0a1b2c3d-0000-4000-8000-000000000004", UserPrincipalName: "e@contoso.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://allot.test/v1.0/users/"+tt.u.ID, nil)
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			must(t, writeJSON(want, http.StatusOK, userType.fixedProps(userDefaults).entityBody(r, "users", userView{u: &tt.u})))
			must(t, writeDefaultUser(got, r, &tt.u))
			if want.Body.String() != got.Body.String() {
				t.Errorf("body -want +got\n-%s\n+%s", want.Body, got.Body)
			}
			if d := diff(want.Header(), got.Header()); d != "" {
				t.Errorf("headers (-want +got):\n%s", d)
			}
		})
	}
}
