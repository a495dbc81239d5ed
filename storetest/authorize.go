package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// testAuthorizeFirst checks that reads of one user decide from the
// principal before they load anything: an ordinary user gets the same
// refusal for another user's id whether or not that user exists.
func testAuthorizeFirst(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 1)
	other := f.User("other@contoso.example", "FR")
	const missing = "00000000-0000-4000-8000-00000000dead"
	self := f.Plain
	tests := []struct {
		name string
		p    allot.Principal
		key  string
		want string // the error code, "" for success
	}{
		{"itself by id", self, self.UserID, ""},
		{"itself by id, upper case", self, strings.ToUpper(self.UserID), ""},
		{"itself by UPN, another case", self, strings.ToUpper(self.Name), ""},
		{"another user by id", self, other.ID, allot.EFORBIDDEN},
		{"a missing user by id", self, missing, allot.EFORBIDDEN},
		{"another user by UPN", self, other.UserPrincipalName, allot.EFORBIDDEN},
		{"a missing user by UPN", self, "missing@contoso.example", allot.EFORBIDDEN},
		{"a reader, a missing user", f.Admins[allot.RoleGlobalReader], missing, allot.ENOTFOUND},
		{"a reader, another user", f.Admins[allot.RoleGlobalReader], other.UserPrincipalName, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.S.FindUser(ctx, tt.p, tt.key)
			wantCode(t, "FindUser", err, tt.want)
			_, err = f.S.FindRoles(ctx, tt.p, tt.key)
			wantCode(t, "FindRoles", err, tt.want)
		})
	}
	// The refusal is the same, message included, for a user that exists
	// and one that does not.
	for _, find := range []struct {
		name string
		fn   func(key string) error
	}{
		{"FindUser", func(key string) error { _, err := f.S.FindUser(ctx, self, key); return err }},
		{"FindRoles", func(key string) error { _, err := f.S.FindRoles(ctx, self, key); return err }},
	} {
		exists, absent := find.fn(other.ID), find.fn(missing)
		diff(t, find.name+": refusal for an existing user (+got) and a missing one (-want)", fmt.Sprint(exists), fmt.Sprint(absent))
	}
}

// testBulkRefusedFirst checks that a malformed bulk change, or one from a
// principal that is no user and no license administrator, is refused
// before the database is touched: with a canceled context, a store that
// reached the database would fail with the context's error. Users who are
// not license administrators are refused after one look at the SKUs' seat
// pools (they might have purchased one), before any user is read.
func testBulkRefusedFirst(t *testing.T, open Opener) {
	f := NewFixture(t, open, 1)
	many := make([]string, 40_000)
	for i := range many {
		many[i] = fmt.Sprintf("user%d@contoso.example", i)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	before := snapshot(t, f)
	tests := []struct {
		name    string
		p       allot.Principal
		b       allot.BulkLicenseChange
		want    string
		noReads bool // refused with a canceled context too
	}{
		{"Billing Administrator, 40,000 users", f.Admins[allot.RoleBillingAdmin], allot.BulkLicenseChange{Users: many, Change: add(O365E3)}, allot.EFORBIDDEN, false},
		{"ordinary user, 40,000 users", f.Plain, allot.BulkLicenseChange{Users: many, Change: add(O365E3)}, allot.EFORBIDDEN, false},
		{"a principal with no user and no role", allot.Principal{TenantID: f.Tenant.ID, Via: allot.ChannelAPI}, allot.BulkLicenseChange{Users: many, Change: add(O365E3)}, allot.EFORBIDDEN, true},
		{"one SKU removed 32,766 times", f.Admin(), allot.BulkLicenseChange{Users: many[:2], Change: remove(slices.Repeat([]string{O365E3}, 32_766)...)}, allot.EINVALID, true},
		{"skuId not a GUID", f.Admin(), allot.BulkLicenseChange{Users: many[:2], Change: add("E3")}, allot.EINVALID, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.noReads {
				_, err := f.S.AssignLicensesBulk(canceled, tt.p, tt.b)
				wantCode(t, "with a canceled context", err, tt.want)
			}
			_, err := f.S.AssignLicensesBulk(context.Background(), tt.p, tt.b)
			wantCode(t, "with a live context", err, tt.want)
			diff(t, "nothing changed", snapshot(t, f), before)
		})
	}
}

// testDuplicateSKUs checks that a change naming one SKU many times is
// refused as malformed before its SKU list reaches SQL (SQLite allows
// 32,766 parameters in a statement).
func testDuplicateSKUs(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	u := f.User("u@contoso.example", "FR")
	f.Assign(u.ID, O365E3)
	before := snapshot(t, f)
	same := slices.Repeat([]string{O365E3}, 32_766)
	tests := []struct {
		name string
		ch   allot.LicenseChange
		want *allot.Error
	}{
		{"removeLicenses", remove(same...), &allot.Error{Code: allot.EINVALID, Field: "removeLicenses", SKUID: O365E3}},
		{"removeLicenses, cases mixed", remove(O365E3, strings.ToUpper(O365E3)), &allot.Error{Code: allot.EINVALID, Field: "removeLicenses", SKUID: O365E3}},
		{"addLicenses", add(same...), &allot.Error{Code: allot.EINVALID, Field: "addLicenses", SKUID: O365E3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.S.AssignLicenses(ctx, f.Admin(), u.ID, tt.ch)
			wantFields(t, "single", err, tt.want)
			res, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: []string{u.ID}, Change: tt.ch})
			wantFields(t, "bulk", err, tt.want)
			diff(t, "bulk results", len(res), 0)
		})
	}
	diff(t, "refused changes changed nothing", snapshot(t, f), before)
}
