package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// testErrorFields checks that the errors a store makes carry what they
// are about, so that callers render them without parsing the message.
func testErrorFields(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	a, b, c := f.User("a@contoso.example", "FR"), f.User("b@contoso.example", "FR"), f.User("c@contoso.example", "FR")
	f.Assign(a.ID, O365E3)
	f.Assign(b.ID, O365E3)
	var e3 *allot.Subscription
	subs, err := f.S.FindSubscriptions(ctx, f.Sys)
	must(t, err)
	for _, s := range subs {
		if s.SKUID == O365E3 {
			e3 = s
		}
	}
	billing := f.Admins[allot.RoleBillingAdmin]
	tests := []struct {
		name string
		do   func() error
		want *allot.Error
	}{
		{"no seat left", func() error { _, err := f.S.AssignLicenses(ctx, f.Admin(), c.ID, add(O365E3)); return err },
			&allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: O365E3, Count: 1, Limit: 0}},
		{"no seat left, bulk", func() error {
			_, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: []string{c.ID}, Change: add(O365E3), AllOrNothing: true})
			return err
		}, &allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: O365E3, Count: 1, Limit: 0}},
		{"quantity below what is assigned", func() error {
			_, err := f.S.UpdateSubscription(ctx, billing, e3.ID, allot.SubscriptionUpdate{Quantity: ptr(1)})
			return err
		}, &allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: O365E3, SubscriptionID: e3.ID, Count: 2, Limit: 1}},
		{"usage location of a licensed user", func() error {
			_, err := f.S.UpdateUser(ctx, f.Admin(), a.ID, allot.UserUpdate{UsageLocation: ptr("")})
			return err
		}, &allot.Error{Code: allot.EUSAGELOCATION, UserID: a.ID, Field: "usageLocation", Count: 1}},
		{"deleting oneself", func() error { return f.S.DeleteUser(ctx, f.Admin(), f.Admin().UserID) },
			&allot.Error{Code: allot.EINVALID, UserID: f.Admin().UserID}},
		{"unknown user", func() error { _, err := f.S.FindUser(ctx, f.Admin(), "ghost@contoso.example"); return err },
			&allot.Error{Code: allot.ENOTFOUND, UserID: "ghost@contoso.example"}},
		{"UPN taken", func() error {
			return f.S.CreateUser(ctx, f.Sys, &allot.User{UserPrincipalName: "A@contoso.example", DisplayName: "A"})
		},
			&allot.Error{Code: allot.ECONFLICT, Field: "userPrincipalName", Value: "A@contoso.example"}},
		{"bad usage location", func() error {
			return f.S.CreateUser(ctx, f.Sys, &allot.User{UserPrincipalName: "d@contoso.example", DisplayName: "D", UsageLocation: "xx"})
		}, &allot.Error{Code: allot.EINVALID, Field: "usageLocation", Value: "XX"}},
		{"unknown role", func() error { return f.S.AssignRole(ctx, f.Sys, a.ID, "Owner") },
			&allot.Error{Code: allot.EINVALID, Field: "role", Value: "Owner"}},
		{"domain taken", func() error {
			return f.S.CreateTenant(ctx, &allot.Tenant{Name: "X", Domain: strings.ToUpper(f.Tenant.Domain)})
		},
			&allot.Error{Code: allot.ECONFLICT, Field: "domain", Value: f.Tenant.Domain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantFields(t, tt.name, tt.do(), tt.want) })
	}
	// The system (lifecycle timers) may reduce below what is assigned; a
	// restore then finds no seat, and its refusal names the user and the
	// SKU.
	_, err = f.S.UpdateSubscription(ctx, f.Sys, e3.ID, allot.SubscriptionUpdate{Quantity: ptr(1)})
	must(t, err)
	must(t, f.S.DeleteUser(ctx, f.Admin(), b.ID))
	_, err = f.S.RestoreUser(ctx, f.Admin(), b.ID)
	wantFields(t, "restore without a seat", err, &allot.Error{Code: allot.ECOUNTVIOLATION, UserID: b.ID, SKUID: O365E3, Count: 1})
}
