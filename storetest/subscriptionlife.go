package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

const day = 24 * time.Hour

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// advance sets the fixture's clock to t and runs the lifecycle step at t,
// returning how many transitions it made.
func (f *Fixture) advance(t time.Time) int {
	f.T.Helper()
	f.Clock.Set(t)
	n, err := f.S.AdvanceSubscriptions(f.ctx, t)
	must(f.T, err)
	return n
}

// reason answers a license check of the user for Teams (TEAMS1) from the
// store's entitlements, as the index does.
func (f *Fixture) reason(userID string) string {
	f.T.Helper()
	ents, err := f.S.FindEntitlements(f.ctx, f.Tenant.ID, []string{userID})
	must(f.T, err)
	access, err := f.S.FindPoolAccess(f.ctx, f.Tenant.ID)
	must(f.T, err)
	if len(ents) != 1 {
		f.T.Fatalf("%d entitlements of %s", len(ents), userID)
	}
	c := f.S.Catalog()
	return allot.Check(c, ents[0], c.ServicePlan(PlanTeams), func(tn, sku, pool string) bool {
		return access[allot.PoolKey{TenantID: tn, SKUID: sku, Pool: pool}]
	}).Reason
}

// find returns the subscription with the id.
func (f *Fixture) find(id string) *allot.Subscription {
	f.T.Helper()
	s, err := f.S.FindSubscriptionByID(f.ctx, f.Sys, id)
	must(f.T, err)
	return s
}

// testSubscriptionLifecycle takes a subscription without recurring billing
// through every stage after its term, and checks at each what the Licenses
// view counts, what a license check answers and whether a new assignment
// is taken: Warning keeps access, Suspended loses it, Deleted removes the
// assignments, as the system, audited.
func testSubscriptionLifecycle(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 0)
	billing := f.Admins[allot.RoleBillingAdmin]
	a, b, c := f.User("a@contoso.example", "FR"), f.User("b@contoso.example", "FR"), f.User("c@contoso.example", "FR")
	s, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: "ENTERPRISEPREMIUM", Quantity: 2})
	must(t, err)
	f.Assign(a.ID, O365E5)
	f.Assign(b.ID, O365E5)
	for _, on := range []bool{false, true, false} { // off, on again, off: it ends with its term
		_, err = f.S.UpdateSubscription(ctx, billing, s.ID, allot.SubscriptionUpdate{RecurringBilling: &on})
		must(t, err)
	}
	end := s.CommitmentEndAt
	tests := []struct {
		name     string
		at       time.Time
		want     int
		status   allot.SubscriptionStatus
		prepaid  allot.LicenseUnits
		consumed int
		check    string // what a check of user a answers
		assign   string // the error code of a new assignment to user c
	}{
		{"a second before the term ends", end.Add(-time.Second), 0, allot.StatusEnabled, allot.LicenseUnits{Enabled: 2}, 2, allot.ReasonLicensed, allot.ECOUNTVIOLATION},
		{"term end: Warning", end, 1, allot.StatusWarning, allot.LicenseUnits{Warning: 2}, 2, allot.ReasonLicensed, allot.ECOUNTVIOLATION},
		{"twice at once: nothing more", end, 0, allot.StatusWarning, allot.LicenseUnits{Warning: 2}, 2, allot.ReasonLicensed, allot.ECOUNTVIOLATION},
		{"30 days later: Suspended", end.Add(30 * day), 1, allot.StatusSuspended, allot.LicenseUnits{Suspended: 2}, 2, allot.ReasonSubscriptionSuspended, allot.ECOUNTVIOLATION},
		{"90 days later: Deleted", end.Add(120 * day), 1, allot.StatusDeleted, allot.LicenseUnits{}, 0, allot.ReasonNoLicense, allot.ECOUNTVIOLATION},
	}
	for _, tt := range tests {
		diff(t, tt.name+": transitions", f.advance(tt.at), tt.want)
		got := f.find(s.ID)
		sku := f.SKU(O365E5)
		diff(t, tt.name+": status, prepaid, consumed", []any{got.Status, sku.Prepaid, sku.Consumed}, []any{tt.status, tt.prepaid, tt.consumed})
		diff(t, tt.name+": check", f.reason(a.ID), tt.check)
		_, err := f.S.AssignLicenses(ctx, f.Admin(), c.ID, add(O365E5))
		wantCode(t, tt.name+": new assignment", err, tt.assign)
	}
	f.CheckCounters()
	_, err = f.S.UpdateSubscription(ctx, billing, s.ID, allot.SubscriptionUpdate{Status: ptr(allot.StatusEnabled)})
	wantFields(t, "a deleted subscription is not renewed", err, &allot.Error{Code: allot.ECONFLICT, SKUID: O365E5, SubscriptionID: s.ID, Field: "status", Value: "Deleted"})

	events, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{Limit: 1000})
	must(t, err)
	var bySystem []string // the data the licenses held is another story (data lifecycle)
	for _, e := range events {
		if e.Via == allot.ChannelSystem && e.ActorName == "lifecycle" && (e.Action == allot.AuditLicenseRemove || e.Action == allot.AuditSubscriptionUpdate) {
			bySystem = append(bySystem, e.Action+" "+e.TargetID)
		}
	}
	want := []string{allot.AuditLicenseRemove + " " + a.ID, allot.AuditLicenseRemove + " " + b.ID}
	for range 3 {
		want = append(want, allot.AuditSubscriptionUpdate+" "+s.ID)
	}
	diff(t, "audited as the lifecycle", sorted(bySystem), sorted(want))
}

// testCancelRenew cancels within the window (at its last instant, not a
// second after), refuses a cancellation that leaves assigned licenses
// without seats, and renews with recurring billing at term end: a new term
// and a new cancellation window, in which it may be cancelled again.
func testCancelRenew(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 0)
	billing := f.Admins[allot.RoleBillingAdmin]
	u := f.User("a@contoso.example", "FR")
	buy := func() *allot.Subscription {
		s, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: O365E5, Quantity: 1})
		must(t, err)
		return s
	}
	cancel := func(s *allot.Subscription, dry bool) error {
		_, err := f.S.UpdateSubscription(ctx, billing, s.ID, allot.SubscriptionUpdate{Status: ptr(allot.StatusDeleted), DryRun: dry})
		return err
	}
	first, second := buy(), buy()
	f.Assign(u.ID, O365E5)
	f.Clock.Set(first.CancellableUntil)
	must(t, cancel(first, true))
	diff(t, "a dry-run cancellation changes nothing", f.find(first.ID).Status, allot.StatusEnabled)
	must(t, cancel(first, false))
	diff(t, "cancelled on the window's last instant", []any{f.find(first.ID).Status, f.SKU(O365E5).Prepaid.Enabled}, []any{allot.StatusDeleted, 1})
	wantFields(t, "the last seats of assigned licenses", cancel(second, false),
		&allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: O365E5, SubscriptionID: second.ID, Count: 1, Limit: 0})
	f.Clock.Advance(time.Second)
	third := buy()
	wantFields(t, "a second after the window", cancel(second, false),
		&allot.Error{Code: allot.ECONFLICT, SKUID: O365E5, SubscriptionID: second.ID, Field: "status", Value: "deleted"})

	end := second.CommitmentEndAt
	diff(t, "renewed at term end", f.advance(end), 1)
	got := f.find(second.ID)
	diff(t, "the new term", []any{got.Status, got.CommitmentEndAt, got.CancellableUntil, got.NextLifecycleAt},
		[]any{allot.StatusEnabled, end.AddDate(0, 1, 0), end.Add(7 * day), end.AddDate(0, 1, 0)})
	f.Clock.Set(end.Add(time.Hour))
	_, err := f.S.UpdateSubscription(ctx, f.Admin(), third.ID, allot.SubscriptionUpdate{Quantity: ptr(2)})
	must(t, err)
	must(t, cancel(second, false))
	diff(t, "cancelled in the renewal's window", f.SKU(O365E5).Prepaid.Enabled, 2)
	f.CheckCounters()
}

// testTrials extends a trial once, converts one to paid, and lets another
// expire.
func testTrials(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 0)
	billing := f.Admins[allot.RoleBillingAdmin]
	buy := func() *allot.Subscription {
		s, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: O365E5, Quantity: 1, Trial: true})
		must(t, err)
		return s
	}
	kept, lapsed := buy(), buy()
	end := kept.CommitmentEndAt
	diff(t, "a trial lasts 30 days", end, f.Clock.Now().Add(30*day))
	_, err := f.S.UpdateSubscription(ctx, billing, kept.ID, allot.SubscriptionUpdate{RecurringBilling: ptr(true)})
	wantCode(t, "a trial does not renew", err, allot.ECONFLICT)
	ext, err := f.S.UpdateSubscription(ctx, billing, kept.ID, allot.SubscriptionUpdate{ExtendTrial: true})
	must(t, err)
	diff(t, "extended by 30 days", []any{ext.CommitmentEndAt, ext.NextLifecycleAt, ext.TrialExtended}, []any{end.Add(30 * day), end.Add(30 * day), true})
	_, err = f.S.UpdateSubscription(ctx, billing, kept.ID, allot.SubscriptionUpdate{ExtendTrial: true})
	wantFields(t, "extended once only", err, &allot.Error{Code: allot.ECONFLICT, SKUID: O365E5, SubscriptionID: kept.ID, Field: "extendTrial", Value: "true"})

	diff(t, "at the first end only the other expires", f.advance(end), 1)
	diff(t, "statuses", []any{f.find(kept.ID).Status, f.find(lapsed.ID).Status}, []any{allot.StatusEnabled, allot.StatusWarning})
	f.Clock.Advance(day)
	paid, err := f.S.UpdateSubscription(ctx, billing, kept.ID, allot.SubscriptionUpdate{Status: ptr(allot.StatusEnabled)})
	must(t, err)
	now := f.Clock.Now()
	diff(t, "converted to paid", []any{paid.IsTrial, paid.RecurringBilling, paid.CommitmentEndAt, paid.CancellableUntil},
		[]any{false, true, now.AddDate(0, 1, 0), now.Add(7 * day)})
	diff(t, "the paid one renews at its term end", f.advance(now.AddDate(0, 1, 0)), 2) // and the lapsed one is suspended
	diff(t, "statuses after a month", []any{f.find(kept.ID).Status, f.find(lapsed.ID).Status}, []any{allot.StatusEnabled, allot.StatusSuspended})
}
