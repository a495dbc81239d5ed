package storetest

import (
	"context"
	"testing"

	"github.com/allot-project/allot"
)

// testSelfServicePolicy checks the tenant's self-service policy per
// product: denied by default, trials only, allowed; an ordinary user buys
// for themselves where it allows, and assigns the seats administrators
// cannot.
func testSelfServicePolicy(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 0)
	billing := f.Admins[allot.RoleBillingAdmin]
	trial := allot.SubscriptionPurchase{SKU: "ENTERPRISEPREMIUM", Quantity: 2, Trial: true}
	paid := allot.SubscriptionPurchase{SKU: "ENTERPRISEPREMIUM", Quantity: 2}
	_, err := f.S.BuySelfService(ctx, f.Plain, trial)
	wantFields(t, "denied by default", err, &allot.Error{Code: allot.EFORBIDDEN, SKUID: O365E5})
	_, err = f.S.SetSelfServicePolicy(ctx, f.Admins[allot.RoleLicenseAdmin], O365E5, allot.PolicyAllowed, false)
	wantCode(t, "a License Administrator sets a policy", err, allot.EFORBIDDEN)
	_, err = f.S.SetSelfServicePolicy(ctx, billing, "NOPE", allot.PolicyAllowed, false)
	wantCode(t, "an unknown product", err, allot.EINVALID)
	_, err = f.S.SetSelfServicePolicy(ctx, billing, "ENTERPRISEPREMIUM", allot.PolicyTrials, true)
	must(t, err)
	_, err = f.S.BuySelfService(ctx, f.Plain, trial)
	wantCode(t, "a dry-run policy changed nothing", err, allot.EFORBIDDEN)

	_, err = f.S.SetSelfServicePolicy(ctx, billing, "ENTERPRISEPREMIUM", allot.PolicyTrials, false)
	must(t, err)
	_, err = f.S.BuySelfService(ctx, f.Plain, paid)
	wantFields(t, "trials only", err, &allot.Error{Code: allot.EFORBIDDEN, SKUID: O365E5, Field: "isTrial", Value: "false"})
	s, err := f.S.BuySelfService(ctx, f.Plain, trial)
	must(t, err)
	diff(t, "bought for themselves", []any{s.OwnerType, s.PurchasedBy, s.IsTrial}, []any{allot.OwnerUser, f.Plain.UserID, true})
	colleague := f.User("colleague@contoso.example", "FR")
	_, err = f.S.AssignLicenses(ctx, f.Plain, colleague.ID, add(O365E5))
	must(t, err)
	_, err = f.S.AssignLicenses(ctx, f.Admin(), f.User("other@contoso.example", "FR").ID, add(O365E5))
	wantCode(t, "administrators cannot assign its seats", err, allot.ESELFSERVICE)
	sku := f.SKU(O365E5)
	capacity, consumed := sku.SelfServiceSeats()
	diff(t, "counted apart", []int{capacity, consumed, sku.Available()}, []int{2, 1, 0})

	app := allot.Principal{TenantID: f.Tenant.ID, AppID: "app", Name: "app", Roles: []allot.Role{allot.RoleGlobalAdmin}}
	_, err = f.S.BuySelfService(ctx, app, trial)
	wantCode(t, "an application buys for itself", err, allot.EFORBIDDEN)
	pols, err := f.S.FindSelfServicePolicies(ctx, f.Admins[allot.RoleGlobalReader])
	must(t, err)
	got := map[string]allot.SelfServicePolicy{}
	for _, pp := range pols {
		got[pp.SKUID] = pp.Policy
	}
	diff(t, "policies", []allot.SelfServicePolicy{got[O365E5], got[O365E3]}, []allot.SelfServicePolicy{allot.PolicyTrials, allot.PolicyDenied})
	f.CheckCounters()
}
