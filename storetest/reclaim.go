package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// testReclaim reclaims the unused licenses of a product: a dry run
// changes nothing, the newest subscription is reduced first, the pool
// keeps exactly what is assigned, the unused seats are dated from the
// audit log, and a second reclaim has nothing to do.
func testReclaim(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 0)
	billing := f.Admins[allot.RoleBillingAdmin]
	old := f.Subscribe(O365E5, 4)
	f.Clock.Advance(time.Hour)
	bought := f.Clock.Now()
	recent := f.Subscribe(O365E5, 3)
	f.Clock.Advance(time.Hour)
	for _, upn := range []string{"a@contoso.example", "b@contoso.example"} {
		f.Assign(f.User(upn, "FR").ID, O365E5)
	}
	_, err := f.S.ReclaimLicenses(ctx, f.Admins[allot.RoleLicenseAdmin], O365E5, false)
	wantCode(t, "a License Administrator reclaims", err, allot.EFORBIDDEN)
	_, err = f.S.ReclaimLicenses(ctx, billing, "NOPE", false)
	wantCode(t, "an unknown product", err, allot.EINVALID)
	_, err = f.S.ReclaimLicenses(ctx, billing, "SPE_E3", false)
	wantCode(t, "a product the tenant does not hold", err, allot.ENOTFOUND)

	want := []allot.ReclaimChange{{SubscriptionID: recent.ID, From: 3, To: 0}, {SubscriptionID: old.ID, From: 4, To: 2}}
	dry, err := f.S.ReclaimLicenses(ctx, billing, "ENTERPRISEPREMIUM", true)
	must(t, err)
	diff(t, "dry run plan", []any{dry.Unused, dry.Assigned, dry.Changes, dry.DryRun}, []any{5, 2, want, true})
	diff(t, "the 5 unused since the last purchase (before it, 4 were)", dry.UnusedSince.UTC(), bought.UTC().Truncate(time.Microsecond))
	diff(t, "a dry run changes nothing", f.SKU(O365E5).Prepaid.Enabled, 7)
	r, err := f.S.ReclaimLicenses(ctx, f.Admin(), O365E5, false)
	must(t, err)
	diff(t, "reclaimed", []any{r.Changes, r.Reclaimed()}, []any{want, 5})
	sku := f.SKU(O365E5)
	diff(t, "the pool keeps what is assigned", []int{sku.Prepaid.Enabled, sku.Consumed, sku.Available()}, []int{2, 2, 0})
	again, err := f.S.ReclaimLicenses(ctx, billing, O365E5, false)
	must(t, err)
	diff(t, "nothing left to reclaim", []any{len(again.Changes), again.UnusedSince.IsZero()}, []any{0, true})
	f.CheckCounters()
}
