package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/storetest"
)

// TestCheckMailboxReasons follows a mailbox through grace, a hold placed
// and released in grace, a hold past grace and the purge, and checks the reason a license check of its plan gives at each
// step, from an index kept in step by the commit hooks and from one
// loaded afresh from the database.
func TestCheckMailboxReasons(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock()
	db := openHandle(t, filepath.Join(t.TempDir(), "allot.db"), clock)
	live := index.New(db.Catalog(), db)
	db.OnCommit(func(c allot.Change) {
		if err := live.Apply(ctx, c); err != nil {
			t.Error(err)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(live.Load(ctx))
	p := disconnectedMailboxes(t, db, 1) // u000: Exchange Plan 1 assigned, then removed
	const upn = "u000@data.example"
	reason := func(ix *index.Index) string {
		t.Helper()
		rs, err := ix.Check(ctx, p, []allot.CheckRequest{{User: upn, ServicePlan: "EXCHANGE_S_STANDARD"}})
		must(err)
		return rs[0].Reason
	}
	want := func(what, r string) {
		t.Helper()
		fresh := index.New(db.Catalog(), db)
		must(fresh.Load(ctx))
		if got, gotFresh := reason(live), reason(fresh); got != r || gotFresh != r {
			t.Errorf("%s: reason %q (index loaded afresh: %q), want %q", what, got, gotFresh, r)
		}
	}
	want("in grace", allot.ReasonMailboxInGrace)
	_, err := db.AssignLicenses(ctx, p, upn, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: storetest.ExchangePlan1}}})
	must(err)
	want("reconnected", allot.ReasonLicensed)
	_, err = db.AssignLicenses(ctx, p, upn, allot.LicenseChange{Remove: []string{storetest.ExchangePlan1}})
	must(err)
	hold := &allot.Hold{UserID: upn, Name: "Case"}
	must(db.CreateHold(ctx, p, hold))
	want("held in grace", allot.ReasonMailboxInactive)
	_, err = db.ReleaseHold(ctx, p, hold.ID)
	must(err)
	want("in grace, hold released", allot.ReasonMailboxInGrace)
	hold = &allot.Hold{UserID: upn, Name: "Case again"}
	must(db.CreateHold(ctx, p, hold))
	want("held again in grace", allot.ReasonMailboxInactive)
	clock.Advance(allot.MailboxGrace)
	_, err = db.ExpireUserData(ctx, clock.Now())
	must(err)
	want("held past grace", allot.ReasonMailboxInactive)
	_, err = db.ReleaseHold(ctx, p, hold.ID)
	must(err)
	_, err = db.ExpireUserData(ctx, clock.Now())
	must(err)
	want("purged", allot.ReasonMailboxPurged)
	must(db.DeleteUser(ctx, p, upn))
	rs, err := live.Check(ctx, p, []allot.CheckRequest{{User: hold.UserID, ServicePlan: "EXCHANGE_S_STANDARD"}})
	must(err)
	if rs[0].Reason != allot.ReasonUserDeleted {
		t.Errorf("deleted: reason %q, want %q", rs[0].Reason, allot.ReasonUserDeleted)
	}
}
