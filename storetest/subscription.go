package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/allot-project/allot"
)

func testTenants(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	got, err := f.S.FindTenantByDomain(ctx, "CONTOSO.example")
	must(t, err)
	diff(t, "tenant by domain", got.ID, f.Tenant.ID)
	got, err = f.S.FindTenantByID(ctx, f.Tenant.ID)
	must(t, err)
	diff(t, "tenant by id", got.Domain, "contoso.example")
	wantCode(t, "duplicate domain", f.S.CreateTenant(ctx, &allot.Tenant{Name: "x", Domain: "contoso.example"}), allot.ECONFLICT)
	wantCode(t, "bad domain", f.S.CreateTenant(ctx, &allot.Tenant{Name: "x", Domain: "nodot"}), allot.EINVALID)
	_, err = f.S.FindTenantByDomain(ctx, "fabrikam.example")
	wantCode(t, "unknown domain", err, allot.ENOTFOUND)
	f.AddTenant("fabrikam.example", 1)
	all, err := f.S.FindTenants(ctx)
	must(t, err)
	var domains []string
	for _, tn := range all {
		domains = append(domains, tn.Domain)
	}
	diff(t, "all tenants", domains, []string{"contoso.example", "fabrikam.example"})
}

func testSubscriptions(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	for i := 0; i < 3; i++ {
		u := f.User("bp"+string(rune('a'+i))+"@contoso.example", "US")
		f.Assign(u.ID, BusinessPremium)
	}
	bp := f.SKU(BusinessPremium)
	diff(t, "Business Premium prepaid", bp.Prepaid, allot.LicenseUnits{Enabled: 13})
	diff(t, "Business Premium total/consumed/available", []int{bp.Total(), bp.Consumed, bp.Available()}, []int{13, 3, 10})
	diff(t, "Business Premium subscriptions", len(bp.SubscriptionIDs), 2)
	diff(t, "capability status", bp.CapabilityStatus, allot.StatusEnabled)

	subs, err := f.S.FindSubscriptions(ctx, f.Sys)
	must(t, err)
	var quantities []int
	for _, s := range subs {
		if s.SKUID == BusinessPremium {
			quantities = append(quantities, s.Quantity)
		}
	}
	slices.Sort(quantities)
	diff(t, "one row per subscription", quantities, []int{5, 8})

	one, err := f.S.FindSubscriptionByID(ctx, f.Admins[allot.RoleGlobalReader], subs[0].ID)
	must(t, err)
	diff(t, "find by id", one.ID, subs[0].ID)
	_, err = f.S.FindSubscriptionByID(ctx, f.Sys, "00000000-0000-4000-8000-000000000000")
	wantCode(t, "unknown subscription", err, allot.ENOTFOUND)

	bad := []struct {
		name string
		s    allot.Subscription
		want string
	}{
		{"unknown SKU", allot.Subscription{SKUID: "00000000-0000-4000-8000-000000000000", Quantity: 1}, allot.EINVALID},
		{"negative quantity", allot.Subscription{SKUID: O365E3, Quantity: -1}, allot.EINVALID},
		{"bad status", allot.Subscription{SKUID: O365E3, Quantity: 1, Status: "Paused"}, allot.EINVALID},
		{"self-service without purchaser", allot.Subscription{SKUID: O365E3, Quantity: 1, OwnerType: allot.OwnerUser}, allot.EINVALID},
	}
	for _, tt := range bad {
		wantCode(t, tt.name, f.S.CreateSubscription(ctx, f.Sys, &tt.s), tt.want)
	}
	wantCode(t, "license admin cannot buy", f.S.CreateSubscription(ctx, f.Admins[allot.RoleLicenseAdmin], &allot.Subscription{SKUID: O365E3, Quantity: 1}), allot.EFORBIDDEN)
	must(t, f.S.CreateSubscription(ctx, f.Admins[allot.RoleBillingAdmin], &allot.Subscription{SKUID: O365E3, Quantity: 1}))
	diff(t, "billing admin bought one more E3", f.SKU(O365E3).Prepaid.Enabled, 3)

	// Reducing below what is assigned is refused (S1); to exactly what is
	// assigned is allowed.
	fivePack := subs[0]
	for _, s := range subs {
		if s.SKUID == BusinessPremium && s.Quantity == 8 {
			fivePack = s
		}
	}
	billing := f.Admins[allot.RoleBillingAdmin]
	_, err = f.S.UpdateSubscription(ctx, billing, fivePack.ID, allot.SubscriptionUpdate{Quantity: ptr(0)})
	must(t, err) // 5 seats remain for 3 users
	q := -4
	_, err = f.S.UpdateSubscription(ctx, billing, fivePack.ID, allot.SubscriptionUpdate{Quantity: &q})
	wantCode(t, "negative quantity", err, allot.EINVALID)
	var fiveID string
	for _, s := range subs {
		if s.SKUID == BusinessPremium && s.Quantity == 5 {
			fiveID = s.ID
		}
	}
	_, err = f.S.UpdateSubscription(ctx, billing, fiveID, allot.SubscriptionUpdate{Quantity: ptr(2)})
	wantCode(t, "reduce below assigned", err, allot.ECOUNTVIOLATION)
	diff(t, "refused reduction changed nothing", f.SKU(BusinessPremium).Prepaid.Enabled, 5)
	_, err = f.S.UpdateSubscription(ctx, billing, fiveID, allot.SubscriptionUpdate{Quantity: ptr(3)})
	must(t, err)
	diff(t, "available after reducing to assigned", f.SKU(BusinessPremium).Available(), 0)
	f.CheckCounters()
}

// testSubscriptionStatuses checks the documented rule: only Enabled
// subscriptions take new assignments; existing ones stay on record.
func testSubscriptionStatuses(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	a, b := f.User("a@contoso.example", "FR"), f.User("b@contoso.example", "FR")
	f.Assign(a.ID, O365E3)
	var e3 string
	subs, err := f.S.FindSubscriptions(ctx, f.Sys)
	must(t, err)
	for _, s := range subs {
		if s.SKUID == O365E3 {
			e3 = s.ID
		}
	}
	for _, tt := range []struct {
		status  allot.SubscriptionStatus
		prepaid allot.LicenseUnits
	}{
		{allot.StatusWarning, allot.LicenseUnits{Warning: 2}},
		{allot.StatusSuspended, allot.LicenseUnits{Suspended: 2}},
		{allot.StatusLockedOut, allot.LicenseUnits{LockedOut: 2}},
		{allot.StatusDeleted, allot.LicenseUnits{}},
	} {
		st := tt.status
		_, err := f.S.UpdateSubscription(ctx, f.Sys, e3, allot.SubscriptionUpdate{Status: &st})
		must(t, err)
		sku := f.SKU(O365E3)
		diff(t, string(st)+" prepaid", sku.Prepaid, tt.prepaid)
		diff(t, string(st)+" capability", sku.CapabilityStatus, st)
		diff(t, string(st)+" consumed stays", sku.Consumed, 1)
		_, err = f.S.AssignLicenses(ctx, f.Admin(), b.ID, add(O365E3))
		wantCode(t, string(st)+" takes no new assignment", err, allot.ECOUNTVIOLATION)
	}
	_, err = f.S.UpdateSubscription(ctx, f.Admin(), e3, allot.SubscriptionUpdate{Status: ptr(allot.StatusEnabled)})
	wantCode(t, "an administrator cannot renew a deleted subscription", err, allot.ECONFLICT)
	_, err = f.S.UpdateSubscription(ctx, f.Sys, e3, allot.SubscriptionUpdate{Status: ptr(allot.StatusEnabled)})
	must(t, err)
	f.Assign(b.ID, O365E3)
	f.CheckCounters()
}

func ptr[T any](v T) *T { return &v }
