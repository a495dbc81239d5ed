package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
	"github.com/allot-project/allot/storetest"
)

// TestExpireUserDataExactlyOnce runs the data lifecycle step from two
// handles of one database at once, as two processes would, and checks
// that each mailbox past its grace period is purged and audited exactly
// once.
func TestExpireUserDataExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range engines {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const users = 20
			clock := storetest.NewClock()
			dsn := tt.dsn(t)
			a, b := openHandle(t, dsn, clock), openHandle(t, dsn, clock)
			p := disconnectedMailboxes(t, a, users)
			now := clock.Now().Add(allot.MailboxGrace)
			for round, want := range []int{users, 0} {
				if got := runConcurrently(t, []*sqlstore.DB{a, b}, 3, func(db *sqlstore.DB) (int, error) {
					return db.ExpireUserData(context.Background(), now)
				}); got != want {
					t.Errorf("round %d: expired %d in all, want %d", round, got, want)
				}
			}
			events, err := a.FindAuditEvents(context.Background(), p, allot.AuditFilter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			purges := 0
			for _, e := range events {
				if e.Action == allot.AuditDataUpdate && e.ActorName == "lifecycle" {
					purges++
				}
			}
			if purges != users {
				t.Errorf("data.update events of the lifecycle: %d, want %d", purges, users)
			}
		})
	}
}

// disconnectedMailboxes creates a tenant with n users whose mailbox was
// just disconnected, and returns the tenant's system principal.
func disconnectedMailboxes(t *testing.T, db *sqlstore.DB, n int) allot.Principal {
	t.Helper()
	ctx := context.Background()
	tn := &allot.Tenant{Name: "Data", Domain: "data.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tn.ID, "test")
	if err := db.CreateSubscription(ctx, p, &allot.Subscription{SKUID: storetest.ExchangePlan1, Quantity: n, Status: allot.StatusEnabled,
		OwnerType: allot.OwnerAdmin, NextLifecycleAt: time.Now().AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("u%03d@data.example", i), DisplayName: "u", UsageLocation: "FR", AccountEnabled: true}
		if err := db.CreateUser(ctx, p, u); err != nil {
			t.Fatal(err)
		}
		for _, ch := range []allot.LicenseChange{{Add: []allot.AssignedLicense{{SKUID: storetest.ExchangePlan1}}}, {Remove: []string{storetest.ExchangePlan1}}} {
			if _, err := db.AssignLicenses(ctx, p, u.ID, ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}
