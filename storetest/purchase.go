package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// testBuyAddRemove buys a subscription, assigns its seats at once, adds and
// removes licenses, and checks the refusals, the dry runs and the audit log.
func testBuyAddRemove(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 0)
	billing := f.Admins[allot.RoleBillingAdmin]
	users := []*allot.User{f.User("a@contoso.example", "FR"), f.User("b@contoso.example", "FR"), f.User("c@contoso.example", "FR")}

	for _, p := range []allot.Principal{f.Admins[allot.RoleLicenseAdmin], f.Admins[allot.RoleGlobalReader], f.Plain} {
		_, err := f.S.BuySubscription(ctx, p, allot.SubscriptionPurchase{SKU: "ENTERPRISEPACK", Quantity: 1})
		wantCode(t, "buy as "+p.Name, err, allot.EFORBIDDEN)
	}
	_, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: "ENTERPRISEPACK", Quantity: 1, Term: "P2Y"})
	wantFields(t, "unknown term", err, &allot.Error{Code: allot.EINVALID, Field: "termDuration", Value: "P2Y"})

	dry, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: "enterprisepack", Quantity: 2, DryRun: true})
	must(t, err)
	diff(t, "dry run answers the purchase", []any{dry.SKUID, dry.Quantity, dry.Term}, []any{O365E3, 2, allot.TermMonth})
	diff(t, "dry run bought nothing", f.SKU(O365E3).Prepaid.Enabled, 0)
	_, err = f.S.FindSubscriptionByID(ctx, f.Sys, dry.ID)
	wantCode(t, "dry run stored nothing", err, allot.ENOTFOUND)

	now := f.Clock.Now().UTC()
	s, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: "ENTERPRISEPACK", Quantity: 2, Term: allot.TermYear})
	must(t, err)
	got, err := f.S.FindSubscriptionByID(ctx, f.Admins[allot.RoleGlobalReader], s.ID)
	must(t, err)
	diff(t, "stored purchase", []any{got.Term, got.CreatedAt, got.CommitmentEndAt, got.CancellableUntil, got.RecurringBilling, got.Quantity},
		[]any{allot.TermYear, now, now.AddDate(1, 0, 0), now.Add(7 * 24 * time.Hour), true, 2})
	f.Assign(users[0].ID, O365E3)
	f.Assign(users[1].ID, O365E3)
	_, err = f.S.AssignLicenses(ctx, f.Admin(), users[2].ID, add(O365E3))
	wantCode(t, "third seat", err, allot.ECOUNTVIOLATION)

	// Add one license; a dry run of the add changes nothing.
	_, err = f.S.UpdateSubscription(ctx, billing, s.ID, allot.SubscriptionUpdate{Quantity: ptr(3), DryRun: true})
	must(t, err)
	diff(t, "dry-run add kept the quantity", f.SKU(O365E3).Prepaid.Enabled, 2)
	_, err = f.S.UpdateSubscription(ctx, billing, s.ID, allot.SubscriptionUpdate{Quantity: ptr(3)})
	must(t, err)
	f.Assign(users[2].ID, O365E3)

	// Remove: never below what is assigned, the refusal naming how many
	// are assigned and how many would remain; a dry run refuses the same.
	refused := &allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: O365E3, SubscriptionID: s.ID, Count: 3, Limit: 1}
	_, err = f.S.UpdateSubscription(ctx, billing, s.ID, allot.SubscriptionUpdate{Quantity: ptr(1), DryRun: true})
	wantFields(t, "dry-run remove below assigned", err, refused)
	_, err = f.S.UpdateSubscription(ctx, f.Admin(), s.ID, allot.SubscriptionUpdate{Quantity: ptr(1)})
	wantFields(t, "remove below assigned", err, refused)
	diff(t, "refused removal changed nothing", f.SKU(O365E3).Prepaid.Enabled, 3)
	_, err = f.S.UpdateSubscription(ctx, f.Admins[allot.RoleLicenseAdmin], s.ID, allot.SubscriptionUpdate{Quantity: ptr(2)})
	wantCode(t, "license admin cannot remove", err, allot.EFORBIDDEN)

	// Across the pool: a second subscription covers part of what is
	// assigned, so the first may drop to what the pool still needs.
	s2, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: O365E3, Quantity: 2})
	must(t, err)
	_, err = f.S.UpdateSubscription(ctx, billing, s.ID, allot.SubscriptionUpdate{Quantity: ptr(1)})
	must(t, err)
	_, err = f.S.UpdateSubscription(ctx, billing, s2.ID, allot.SubscriptionUpdate{Quantity: ptr(1)})
	wantFields(t, "pool over-assigned", err, &allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: O365E3, SubscriptionID: s2.ID, Count: 3, Limit: 2})
	_, err = f.S.UpdateSubscription(ctx, billing, s2.ID, allot.SubscriptionUpdate{RecurringBilling: ptr(false)})
	must(t, err)
	got, err = f.S.FindSubscriptionByID(ctx, f.Sys, s2.ID)
	must(t, err)
	diff(t, "auto-renew off stored", got.RecurringBilling, false)
	sku := f.SKU(O365E3)
	diff(t, "pool after the changes", []int{sku.Prepaid.Enabled, sku.Consumed, sku.Available()}, []int{3, 3, 0})
	f.CheckCounters()

	events, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: s.ID})
	must(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	diff(t, "audited, newest first", actions, []string{allot.AuditSubscriptionUpdate, allot.AuditSubscriptionUpdate, allot.AuditSubscriptionCreate})
}

// testReductionRace races a reduction of a subscription with assignments of
// its last seats, round after round: consumed never exceeds capacity, no
// seat is sold twice, and the counters equal the rows.
func testReductionRace(t *testing.T, open Opener) {
	const racers = 16
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	ctx := context.Background()
	f := NewFixture(t, open, 0)
	billing := f.Admins[allot.RoleBillingAdmin]
	users := make([]*allot.User, racers)
	for i := range users {
		users[i] = f.User(fmt.Sprintf("racer%02d@contoso.example", i), "FR")
	}
	a, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: O365E5, Quantity: 4})
	must(t, err)
	b, err := f.S.BuySubscription(ctx, billing, allot.SubscriptionPurchase{SKU: O365E5, Quantity: 4})
	must(t, err)
	for round := 0; round < rounds; round++ {
		for _, id := range []string{a.ID, b.ID} {
			_, err := f.S.UpdateSubscription(ctx, f.Sys, id, allot.SubscriptionUpdate{Quantity: ptr(4)})
			must(t, err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, racers)
		var cutA, cutB error
		for i, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.S.AssignLicenses(ctx, f.Admin(), u.ID, add(O365E5))
			}()
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, cutA = f.S.UpdateSubscription(ctx, billing, a.ID, allot.SubscriptionUpdate{Quantity: ptr(1)})
		}()
		go func() {
			defer wg.Done()
			<-start
			_, cutB = f.S.UpdateSubscription(ctx, billing, b.ID, allot.SubscriptionUpdate{Quantity: ptr(2)})
		}()
		close(start)
		wg.Wait()
		capacity := 8
		for _, c := range []struct {
			err  error
			less int
		}{{cutA, 3}, {cutB, 2}} {
			switch allot.ErrorCode(c.err) {
			case "":
				capacity -= c.less
			case allot.ECOUNTVIOLATION:
			default:
				t.Fatalf("round %d: reduction got %v", round, c.err)
			}
		}
		var winners []string
		for i, err := range errs {
			switch allot.ErrorCode(err) {
			case "":
				winners = append(winners, users[i].ID)
			case allot.ECOUNTVIOLATION:
			default:
				t.Fatalf("round %d: racer got %v", round, err)
			}
		}
		sku := f.SKU(O365E5)
		if sku.Prepaid.Enabled != capacity || sku.Consumed != len(winners) || sku.Consumed > capacity {
			t.Fatalf("round %d: capacity %d (want %d), consumed %d, %d winners", round, sku.Prepaid.Enabled, capacity, sku.Consumed, len(winners))
		}
		f.CheckCounters()
		if len(winners) > 0 {
			_, err := f.S.AssignLicensesBulk(ctx, f.Sys, allot.BulkLicenseChange{Users: winners, Change: remove(O365E5), AllOrNothing: true})
			must(t, err)
		}
	}
}
