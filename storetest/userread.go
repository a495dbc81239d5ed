package storetest

import (
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// testUserReads checks the API's cheap reads of one user against
// FindUser: ReadUser answers FindUser's user (without licenses unless
// asked), FindUserLicenses its id and licenses sorted by SKU; deleted and
// unknown users are not found with FindUser's error, and a user reads
// only its own.
func testUserReads(t *testing.T, open Opener) {
	f := NewFixture(t, open, 5)
	none := f.User("none@contoso.example", "FR")
	one := f.User("one@contoso.example", "FR")
	two := f.User("two@contoso.example", "FR")
	gone := f.User("gone@contoso.example", "FR")
	assign := func(id, sku string, disabled ...string) {
		t.Helper()
		f.Clock.Advance(time.Minute) // each assignment later than the last
		_, err := f.S.AssignLicenses(f.ctx, f.Admin(), id, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: sku, DisabledPlans: disabled}}})
		must(t, err)
	}
	assign(one.ID, O365E3, PlanTeams)
	assign(two.ID, BusinessPremium, PlanExchange1) // before E3, whose id sorts first
	assign(two.ID, O365E3)
	assign(gone.ID, O365E3)
	must(t, f.S.DeleteUser(f.ctx, f.Admin(), gone.ID))
	reader := f.Admins[allot.RoleGlobalReader]
	for _, key := range []string{none.ID, one.UserPrincipalName, " TWO@CONTOSO.EXAMPLE", two.ID} {
		want, err := f.S.FindUser(f.ctx, reader, key)
		must(t, err)
		got, err := f.S.ReadUser(f.ctx, reader, key, true)
		must(t, err)
		diff(t, key+": ReadUser with licenses", got, want)
		got, err = f.S.ReadUser(f.ctx, reader, key, false)
		must(t, err)
		bare := *want
		bare.Licenses = nil
		diff(t, key+": ReadUser without licenses", got, &bare)
		got, err = f.S.FindUserLicenses(f.ctx, reader, key)
		must(t, err)
		diff(t, key+": FindUserLicenses", got, licensesOnly(want))
	}
	if u, _ := f.S.FindUserLicenses(f.ctx, reader, two.ID); len(u.Licenses) != 2 || u.Licenses[0].SKUID != O365E3 {
		t.Errorf("two's licenseDetails in SKU order: %v, want O365 E3 then Business Premium", skuIDs(u.Licenses))
	}
	for _, key := range []string{gone.ID, gone.UserPrincipalName, "ghost@contoso.example", "not-an-id"} {
		_, want := f.S.FindUser(f.ctx, reader, key)
		wantCode(t, key+": FindUser", want, allot.ENOTFOUND)
		_, err := f.S.ReadUser(f.ctx, reader, key, true)
		diff(t, key+": ReadUser's error", err, want)
		_, err = f.S.ReadUser(f.ctx, reader, key, false)
		diff(t, key+": ReadUser's error without licenses", err, want)
		_, err = f.S.FindUserLicenses(f.ctx, reader, key)
		diff(t, key+": FindUserLicenses' error", err, want)
	}
	for _, key := range []string{one.ID, "ghost@contoso.example"} {
		_, err := f.S.ReadUser(f.ctx, f.Plain, key, false)
		wantCode(t, key+": a user reading another", err, allot.EFORBIDDEN)
		_, err = f.S.FindUserLicenses(f.ctx, f.Plain, key)
		wantCode(t, key+": a user reading another's licenses", err, allot.EFORBIDDEN)
	}
	if _, err := f.S.FindUserLicenses(f.ctx, f.Plain, f.Plain.Name); err != nil {
		t.Errorf("a user reading its own licenses by UPN: %v", err)
	}
}

// licensesOnly is what FindUserLicenses answers for u: its id, tenant and
// licenses sorted by SKU, without their assignment dates.
func licensesOnly(u *allot.User) *allot.User {
	out := &allot.User{ID: u.ID, TenantID: u.TenantID}
	for _, l := range u.Licenses {
		l.AssignedAt = time.Time{}
		out.Licenses = append(out.Licenses, l)
	}
	allot.SortLicenses(out.Licenses)
	return out
}
