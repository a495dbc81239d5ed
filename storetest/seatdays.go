package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// testSeatDays checks the seat days a store keeps with its audit events:
// over several days of single and bulk changes and a quantity change,
// each product's seats by day (allot.SeatsByDay over FindSeatDays) equal
// those got by walking the audit log back from today's counters, the way
// the charts were drawn before seat days; only readers of the audit log
// read them, and a tenant sees its own only.
func testSeatDays(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 10)
	users := make([]string, 9)
	for i := range users {
		users[i] = f.User(string(rune('a'+i))+"@contoso.example", "FR").ID
	}
	f.Clock.Advance(26 * time.Hour)
	f.Assign(users[0], O365E3)
	f.Assign(users[1], O365E3)
	f.Assign(users[8], BusinessPremium)
	f.Assign(users[2], O365E3)
	_, err := f.S.AssignLicenses(ctx, f.Admin(), users[2], allot.LicenseChange{Remove: []string{O365E3}})
	must(t, err)
	f.Clock.Advance(24 * time.Hour)
	bulk := func(ch allot.LicenseChange, ids ...string) {
		t.Helper()
		_, err := f.S.AssignLicensesBulk(ctx, f.Admin(), allot.BulkLicenseChange{Users: ids, Change: ch, AllOrNothing: true})
		must(t, err)
	}
	bulk(add(O365E3), users[3:7]...)
	var e3 *allot.Subscription
	subs, err := f.S.FindSubscriptions(ctx, f.Admin())
	must(t, err)
	for _, s := range subs {
		if s.SKUID == O365E3 {
			e3 = s
		}
	}
	q := 12
	_, err = f.S.UpdateSubscription(ctx, f.Admin(), e3.ID, allot.SubscriptionUpdate{Quantity: &q})
	must(t, err)
	f.Clock.Advance(48 * time.Hour)
	bulk(allot.LicenseChange{Remove: []string{O365E3}}, users[3], users[4])
	f.Assign(users[7], BusinessPremium)

	const n = 7
	now := f.Clock.Now()
	days, err := f.S.FindSeatDays(ctx, f.Admins[allot.RoleGlobalReader], now.AddDate(0, 0, 1-n))
	must(t, err)
	skus, err := f.S.FindSubscribedSKUs(ctx, f.Admin())
	must(t, err)
	for _, sku := range skus {
		cur := allot.Seats{Assigned: sku.Consumed, Total: sku.Total()}
		var mine []allot.SeatDay
		for _, d := range days {
			if d.SKUID == sku.SKU.ID {
				mine = append(mine, d)
			}
		}
		diff(t, sku.SKU.PartNumber+"'s seats by day", allot.SeatsByDay(cur, mine, now, n), f.walkSeats(cur, sku.SKU.ID, now, n))
	}

	_, err = f.S.FindSeatDays(ctx, f.Plain, now)
	wantCode(t, "a user without a role reads seat days", err, allot.EFORBIDDEN)
	first := f.Admin()
	f.AddTenant("fabrikam.example", 5)
	days, err = f.S.FindSeatDays(ctx, f.Admin(), now.AddDate(0, 0, -30))
	must(t, err)
	total := 0
	for _, d := range days {
		total += d.Delta.Total
		diff(t, "another tenant's days have no assignments", d.Delta.Assigned, 0)
	}
	diff(t, "another tenant's days: its own subscriptions only", total, 5+8+5+3+3+2)
	_, err = f.S.FindSeatDays(ctx, first, now)
	must(t, err)
}

// walkSeats is the seats of a product at the end of each of the n days
// ending today, by walking the audit log back from cur and undoing each
// event (allot.Seats.Before).
func (f *Fixture) walkSeats(cur allot.Seats, skuID string, now time.Time, n int) []allot.Seats {
	f.T.Helper()
	today := allot.DayOf(now)
	out := make([]allot.Seats, n)
	day := n - 1
	events, err := f.S.FindAuditEvents(f.ctx, f.Admin(), allot.AuditFilter{SKUID: skuID, Limit: allot.MaxPage, Bare: true})
	must(f.T, err)
	for _, e := range events {
		for ; day >= 0 && e.At.Before(today.AddDate(0, 0, day-n+2)); day-- {
			out[day] = cur
		}
		cur = cur.Before(e)
	}
	for ; day >= 0; day-- {
		out[day] = cur
	}
	return out
}
