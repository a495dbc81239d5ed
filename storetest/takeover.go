package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/allot-project/allot"
)

// selfServiceFixture is a fixture with a self-service Business Basic
// subscription of 3 seats, 2 of them assigned by its purchaser.
type selfServiceFixture struct {
	*Fixture
	buyer *allot.User
	ss    *allot.Subscription
	users []*allot.User
}

func newSelfServiceFixture(t *testing.T, open Opener) *selfServiceFixture {
	t.Helper()
	ctx := context.Background()
	f := &selfServiceFixture{Fixture: NewFixture(t, open, 0)}
	f.buyer = f.User("buyer@contoso.example", "US")
	buyerP := allot.Principal{TenantID: f.Tenant.ID, UserID: f.buyer.ID, Name: f.buyer.UserPrincipalName, Via: allot.ChannelAPI}
	f.ss = &allot.Subscription{SKUID: BusinessBasic, Quantity: 3, Status: allot.StatusEnabled, OwnerType: allot.OwnerUser, PurchasedBy: f.buyer.ID}
	must(t, f.S.CreateSubscription(ctx, f.Sys, f.ss))
	for i := range 2 {
		u := f.User(fmt.Sprintf("colleague%d@contoso.example", i), "US")
		_, err := f.S.AssignLicenses(ctx, buyerP, u.ID, add(BusinessBasic))
		must(t, err)
		f.users = append(f.users, u)
	}
	return f
}

// testTakeoverAdminManaged takes a self-service subscription over: its
// seats join the admin pool, administrators then manage its licenses, the
// audit log names the purchaser, and a dry run changes nothing.
func testTakeoverAdminManaged(t *testing.T, open Opener) {
	ctx := context.Background()
	f := newSelfServiceFixture(t, open)
	billing := f.Admins[allot.RoleBillingAdmin]
	_, err := f.S.TakeOverSubscription(ctx, f.Admins[allot.RoleLicenseAdmin], f.ss.ID, allot.Takeover{})
	wantCode(t, "a License Administrator takes over", err, allot.EFORBIDDEN)
	_, err = f.S.TakeOverSubscription(ctx, billing, f.ss.ID, allot.Takeover{DryRun: true})
	must(t, err)
	diff(t, "a dry run changes nothing", f.find(f.ss.ID).OwnerType, allot.OwnerUser)

	got, err := f.S.TakeOverSubscription(ctx, billing, f.ss.ID, allot.Takeover{})
	must(t, err)
	diff(t, "admin-managed", got.OwnerType, allot.OwnerAdmin)
	sku := f.SKU(BusinessBasic)
	capacity, consumed := sku.SelfServiceSeats()
	diff(t, "seats in the admin pool", []int{sku.AdminPool().Capacity, sku.AdminPool().Consumed, sku.Available(), capacity, consumed}, []int{3, 2, 1, 0, 0})
	u := f.Assign(f.User("new@contoso.example", "US").ID, BusinessBasic)
	diff(t, "an administrator assigns its seats", u.License(BusinessBasic).Pool(), "")
	_, err = f.S.AssignLicenses(ctx, f.Admin(), f.users[0].ID, remove(BusinessBasic))
	must(t, err)
	f.CheckCounters()
	_, err = f.S.TakeOverSubscription(ctx, billing, f.ss.ID, allot.Takeover{})
	wantCode(t, "twice", err, allot.ECONFLICT)

	events, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: f.buyer.ID})
	must(t, err)
	told := false
	for _, e := range events {
		told = told || e.TargetID == f.buyer.ID && e.Action == allot.AuditSubscriptionUpdate
	}
	diff(t, "the purchaser is told through the audit log", told, true)
}

// testTakeoverMove moves a self-service subscription's users to an admin
// subscription of the product and cancels it; refused whole without room.
func testTakeoverMove(t *testing.T, open Opener) {
	ctx := context.Background()
	f := newSelfServiceFixture(t, open)
	billing := f.Admins[allot.RoleBillingAdmin]
	small := f.Subscribe(BusinessBasic, 1)
	_, err := f.S.TakeOverSubscription(ctx, billing, f.ss.ID, allot.Takeover{MoveTo: small.ID})
	wantFields(t, "no room", err, &allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: BusinessBasic, SubscriptionID: small.ID, Count: 2, Limit: 1})
	diff(t, "refused whole", f.find(f.ss.ID).Status, allot.StatusEnabled)
	other := f.Subscribe(O365E3, 5)
	_, err = f.S.TakeOverSubscription(ctx, billing, f.ss.ID, allot.Takeover{MoveTo: other.ID})
	wantCode(t, "another product", err, allot.EINVALID)
	_, err = f.S.TakeOverSubscription(ctx, billing, f.ss.ID, allot.Takeover{MoveTo: "00000000-0000-4000-8000-000000000000"})
	wantCode(t, "an unknown target", err, allot.ENOTFOUND)

	_, err = f.S.UpdateSubscription(ctx, billing, small.ID, allot.SubscriptionUpdate{Quantity: ptr(2)})
	must(t, err)
	got, err := f.S.TakeOverSubscription(ctx, billing, f.ss.ID, allot.Takeover{MoveTo: small.ID})
	must(t, err)
	diff(t, "cancelled", got.Status, allot.StatusDeleted)
	sku := f.SKU(BusinessBasic)
	diff(t, "the users hold seats of the admin pool", []int{sku.AdminPool().Capacity, sku.AdminPool().Consumed, sku.Consumed, sku.Available()}, []int{2, 2, 2, 0})
	for _, u := range f.users {
		got, err := f.S.FindUser(ctx, f.Sys, u.ID)
		must(t, err)
		diff(t, u.UserPrincipalName+" keeps Business Basic, from the admin pool", got.License(BusinessBasic).Pool(), "")
	}
	f.CheckCounters()
}
