package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
)

// readResult is what FindUserLicenses answers, comparable across stores.
type readResult struct {
	User *allot.User
	Code string
	Msg  string
}

// licenseFinder is the part of allot.UserReadService the index implements.
type licenseFinder interface {
	FindUserLicenses(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error)
}

func findLicenses(ctx context.Context, s licenseFinder, p allot.Principal, key string) readResult {
	u, err := s.FindUserLicenses(ctx, p, key)
	var res readResult
	res.User = u
	if err != nil {
		res.Code, res.Msg = allot.ErrorCode(err), err.Error()
	}
	return res
}

// TestFindUserLicensesMatchesStore makes random changes (licenses with
// disabled plans, removals, deletions and restores) and after each one
// compares the index's licenseDetails of every user, named by id in either
// case and by UPN, with the store's, read by SQL.
func TestFindUserLicensesMatchesStore(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	ix := index.New(db.Catalog(), db)
	db.OnCommit(func(c allot.Change) { must(t, ix.Apply(ctx, c)) })
	w := newWorld(t, db)
	// Business Premium assigned before E3: the assignment order is not
	// the SKU order, which both answer in.
	for _, l := range []allot.AssignedLicense{{SKUID: bp, DisabledPlans: []string{exch1}}, {SKUID: e3, DisabledPlans: []string{teams, exch2}}} {
		_, err := db.AssignLicenses(ctx, w.p, w.users[0].ID, allot.LicenseChange{Add: []allot.AssignedLicense{l}})
		must(t, err)
	}
	must(t, ix.Load(ctx))
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{} // the cases met, so that the test shows it compared them
	for i := 0; i < 120; i++ {
		w.randomChange(ctx, r)
		for _, u := range w.users {
			for _, key := range []string{u.ID, strings.ToUpper(u.ID), " " + u.UserPrincipalName, strings.ToUpper(u.UserPrincipalName)} {
				want, got := findLicenses(ctx, db, w.p, key), findLicenses(ctx, ix, w.p, key)
				if !reflect.DeepEqual(want, got) {
					t.Fatalf("after change %d, user %q:\n-want %s\n+got  %s", i, key, show(want), show(got))
				}
				switch {
				case want.Code != "":
					seen["not found"] = true
				case len(want.User.Licenses) > 1:
					seen["several"] = true
				case len(want.User.Licenses) == 1 && len(want.User.Licenses[0].DisabledPlans) > 0:
					seen["disabled plans"] = true
				}
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("cases met: %v, want not found, several and disabled plans", seen)
	}
}

func show(r readResult) string {
	if r.User == nil {
		return fmt.Sprintf("%s %q", r.Code, r.Msg)
	}
	return fmt.Sprintf("%+v", *r.User)
}

// TestFindUserLicensesRefusals checks who reads whose licenses (a user its
// own, by id or UPN; readers anyone's; others nobody's, whether or not the
// user exists) and that another tenant's user is not found.
func TestFindUserLicensesRefusals(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	ix := index.New(db.Catalog(), db)
	db.OnCommit(func(c allot.Change) { must(t, ix.Apply(ctx, c)) })
	w := newWorld(t, db)
	other := newWorld(t, db)
	must(t, ix.Load(ctx))
	me, them := w.users[0], w.users[1]
	self := allot.Principal{TenantID: w.tenant.ID, UserID: me.ID, Name: me.UserPrincipalName}
	reader := allot.Principal{TenantID: w.tenant.ID, UserID: them.ID, Roles: []allot.Role{allot.RoleGlobalReader}}
	tests := []struct {
		name     string
		p        allot.Principal
		key      string
		wantCode string
	}{
		{"own by id", self, me.ID, ""},
		{"own by UPN in another case", self, strings.ToUpper(me.UserPrincipalName), ""},
		{"another user's", self, them.ID, allot.EFORBIDDEN},
		{"an unknown user's", self, "ghost@" + w.tenant.Domain, allot.EFORBIDDEN},
		{"reader, anyone's", reader, me.UserPrincipalName, ""},
		{"reader, another tenant's user", reader, other.users[0].ID, allot.ENOTFOUND},
		{"reader, not an id", reader, "not-a-guid", allot.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, s := range map[string]licenseFinder{"index": ix, "store": db} {
				if got := findLicenses(ctx, s, tt.p, tt.key); got.Code != tt.wantCode {
					t.Errorf("%s: code -want +got\n-%q\n+%q (%s)", name, tt.wantCode, got.Code, got.Msg)
				}
			}
		})
	}
}
