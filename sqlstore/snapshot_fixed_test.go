package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/allot-project/allot"
)

// TestBulkFromSnapshotFixed are cases of TestBulkFromSnapshot that failed
// on 7d08e5c, each for the reason its comment gives, fixed by eccf225.
func TestBulkFromSnapshotFixed(t *testing.T) {
	u := snapUsers
	removeBP := allot.LicenseChange{Remove: []string{snapBP}}
	tests := []snapCase{
		// The stale plan frees a seat the pool no longer counts: the
		// counter's CHECK failed before the versions were compared, and the
		// request failed instead of being planned again from SQL.
		{name: "a pool's last seat freed since", between: assign(6, removeBP),
			b: change(keys(u[6]), removeBP), planned: 1, stale: 1, calls: true},
		// The same with an add: the stale plan inserted a license row that
		// exists.
		{name: "add, the SKU assigned since", between: assign(2, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3, DisabledPlans: []string{snapTeams}}}}),
			b: change(keys(u[2]), addE3Full), planned: -1, stale: -1, calls: true},
		// The snapshot gives licenses in SKU order, SQL in assignment
		// order, and the disconnected mailbox records the first mailbox
		// plan of that order (allot.DataPlan): the add-on's on the SQL
		// path, E3's from the snapshot, until eccf225.
		{name: "the add-on assigned before E3, both removed", setup: archiveFirst,
			b: change(keys(u[3]), allot.LicenseChange{Remove: []string{benchE3, snapArchive}}), planned: 1, calls: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSnapCase(t, tt) })
	}
}

// TestBulkSameUserByIDAndUPN removes E3 from users each named twice, by id
// and by userPrincipalName, from SQL (no snapshot): each must be changed
// once, and E3 freed. Until eccf225 bulkUsers read two *allot.User for
// such a user and bulkLicenses gave its licenses to only one of them, so
// that, by map order, about half the users were refused with
// LicenseNotHeld and kept E3.
func TestBulkSameUserByIDAndUPN(t *testing.T) {
	set := benchBulkSet(40)
	db := openBulkData(t, filepath.Join(t.TempDir(), "allot.db"), 40)
	var users []string
	for i, u := range set.Users {
		if i%2 == 0 {
			users = append(users, u.ID, u.UserPrincipalName)
		}
	}
	res, err := db.AssignLicensesBulk(context.Background(), allot.SystemPrincipal(benchTenant, "test"),
		allot.BulkLicenseChange{Users: users, Change: allot.LicenseChange{Remove: []string{benchE3}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(res); i += 2 {
		if !res[i].Changed || res[i].Err != nil {
			t.Errorf("%s: changed %v, %v; want changed", res[i].User, res[i].Changed, res[i].Err)
		}
	}
	sku, err := db.FindSubscribedSKU(context.Background(), allot.SystemPrincipal(benchTenant, "test"), benchE3)
	if err != nil || sku.Consumed != 0 {
		t.Errorf("E3 after removing it from every holder: %d consumed, %v; want 0", sku.Consumed, err)
	}
}
