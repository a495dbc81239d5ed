package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
	"github.com/allot-project/allot/storetest"
)

// TestSubscriptionLifecycleExactlyOnce runs the subscription lifecycle
// step from two handles of one database at once, three workers each, as
// several processes would, on subscriptions at every stage, and checks
// that each transition is made and audited exactly once.
func TestSubscriptionLifecycleExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range engines {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := tt.dsn(t)
			clock := storetest.NewClock()
			a, b := openHandle(t, dsn, clock), openHandle(t, dsn, clock)
			tn := &allot.Tenant{Name: "Life", Domain: "life.example"}
			if err := a.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			p := allot.SystemPrincipal(tn.ID, "test")
			start := clock.Now()
			// Ten subscriptions each of: renewing, expiring, suspended by
			// now, deleted by now: 1, 1, 2 and 3 transitions.
			want := 0
			for i, days := range []int{10, 10, 40, 130} {
				for range 10 {
					s := &allot.Subscription{SKUID: storetest.O365E3, Quantity: 1, RecurringBilling: i == 0, Term: allot.TermMonth,
						NextLifecycleAt: start.Add(-time.Duration(days) * 24 * time.Hour)}
					if err := a.CreateSubscription(ctx, p, s); err != nil {
						t.Fatal(err)
					}
					want += []int{1, 1, 2, 3}[i]
				}
			}
			for round, wantN := range []int{want, 0} {
				if got := runConcurrently(t, []*sqlstore.DB{a, b}, 3, func(db *sqlstore.DB) (int, error) {
					return db.AdvanceSubscriptions(ctx, start)
				}); got != wantN {
					t.Errorf("round %d: %d transitions in all, want %d", round, got, wantN)
				}
			}
			events, err := a.FindAuditEvents(ctx, p, allot.AuditFilter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			audited := 0
			for _, e := range events {
				if e.ActorName == "lifecycle" && e.Action == allot.AuditSubscriptionUpdate {
					audited++
				}
			}
			if audited != want {
				t.Errorf("%d transitions audited, want %d", audited, want)
			}
		})
	}
}
