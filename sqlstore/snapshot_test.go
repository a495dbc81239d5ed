package sqlstore_test

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// The snapshot tests' tenant: E3 (a mailbox and files), the Exchange
// archive add-on (which needs a mailbox plan) and Business Premium, bought
// by snapUsers[6] for himself.
const (
	snapTenant  = "c0000000-0000-4000-8000-000000000001"
	snapDomain  = "snap.example"
	snapArchive = "ee02fd1b-340e-4a4b-b355-4a514e4c8943" // EXCHANGEARCHIVE_ADDON
	snapBP      = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46" // SPB
	snapSelf    = "c0000000-0000-4000-8000-0000000000b3" // the self-service BP subscription
	snapTeams   = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1
	snapExch    = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
)

// snapUsers are the tenant's users, by position: 0 holds E3 without
// Teams and has capitals in its userPrincipalName; 1, 4 and 5 hold E3;
// 2 holds nothing; 3 holds E3 and the archive add-on; 6 holds Business
// Premium from its own subscription.
var snapUsers = []string{
	"c0000000-0000-4000-8000-000000000010", "c0000000-0000-4000-8000-000000000011",
	"c0000000-0000-4000-8000-000000000012", "c0000000-0000-4000-8000-000000000013",
	"c0000000-0000-4000-8000-000000000014", "c0000000-0000-4000-8000-000000000015",
	"c0000000-0000-4000-8000-000000000016",
}

// snapUPN is the userPrincipalName of snapUsers[i] as the users table
// spells it.
func snapUPN(i int) string {
	if i == 0 {
		return "Ada.Capital@" + snapDomain
	}
	return fmt.Sprintf("user%d@%s", i, snapDomain)
}

// snapSet is the tenant, anew each time (Import normalizes what it is
// given).
func snapSet() sqlstore.ImportSet {
	set := sqlstore.ImportSet{
		Tenant: &allot.Tenant{ID: snapTenant, Name: "Snap", Domain: snapDomain},
		Subscriptions: []*allot.Subscription{
			{ID: "c0000000-0000-4000-8000-0000000000b1", SKUID: benchE3, Quantity: 10, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin},
			{ID: "c0000000-0000-4000-8000-0000000000b2", SKUID: snapArchive, Quantity: 10, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin},
			{ID: snapSelf, SKUID: snapBP, Quantity: 1, Status: allot.StatusEnabled, OwnerType: allot.OwnerUser, PurchasedBy: snapUsers[6]},
		},
	}
	e3 := func(disabled ...string) allot.License {
		return allot.License{SKUID: benchE3, DisabledPlans: append([]string{}, disabled...), AssignedAt: bulkDataNow.Add(-time.Hour)}
	}
	for i, id := range snapUsers {
		u := &allot.User{ID: id, UserPrincipalName: snapUPN(i), DisplayName: "U", UsageLocation: "FR", AccountEnabled: true}
		switch i {
		case 0:
			u.Licenses = []allot.License{e3(snapTeams)}
		case 1, 4, 5:
			u.Licenses = []allot.License{e3()}
		case 3:
			// The add-on after E3, as it is assigned: the SQL path gives
			// licenses in assignment order (snapshot_defect_test.go).
			u.Licenses = []allot.License{e3(), {SKUID: snapArchive, DisabledPlans: []string{}, AssignedAt: bulkDataNow.Add(-time.Minute)}}
		case 6:
			u.Licenses = []allot.License{{SKUID: snapBP, SubscriptionID: snapSelf, DisabledPlans: []string{}}}
		}
		set.Users = append(set.Users, u)
	}
	return set
}

// testSnapshot is a copy of a tenant's committed entitlements, taken by
// takeSnapshot, as the license-check index would hold them; it counts the
// calls made to it.
type testSnapshot struct {
	mu    sync.Mutex
	byKey map[string]*allot.Entitlement
	calls int
}

// takeSnapshot copies the entitlements of the users of the tenant not
// deleted, keyed by id and by lower-case userPrincipalName.
func takeSnapshot(t *testing.T, db *sqlstore.DB) *testSnapshot {
	t.Helper()
	s := &testSnapshot{byKey: map[string]*allot.Entitlement{}}
	err := db.ScanEntitlements(context.Background(), snapTenant, func(e *allot.Entitlement) error {
		if e.Deleted {
			return nil
		}
		e.Mailbox, e.MailboxKnown = "", false
		s.byKey[e.UserID], s.byKey[strings.ToLower(e.UserPrincipalName)] = e, e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// BulkEntitlements implements sqlstore.Snapshot, with copies.
func (s *testSnapshot) BulkEntitlements(tenantID string, keys []string) ([]*allot.Entitlement, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	out := make([]*allot.Entitlement, len(keys))
	byID := map[string]*allot.Entitlement{}
	for i, k := range keys {
		e, ok := s.byKey[strings.ToLower(strings.TrimSpace(k))]
		if !ok || e.TenantID != tenantID {
			return nil, false
		}
		if c := byID[e.UserID]; c != nil { // one entitlement a user, as the index gives
			out[i] = c
			continue
		}
		c := *e
		c.Licenses = nil
		for _, l := range e.Licenses {
			l.DisabledPlans = slices.Clone(l.DisabledPlans)
			c.Licenses = append(c.Licenses, l)
		}
		out[i], byID[e.UserID] = &c, &c
	}
	return out, true
}

// snapDB is one database of a snapshot test, its file, and the changes it
// published.
type snapDB struct {
	db        *sqlstore.DB
	path      string
	mu        sync.Mutex
	published []*allot.Entitlement
}

// openSnap opens a new database with the tenant imported.
func openSnap(t *testing.T) *snapDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "allot.db")
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{Now: func() time.Time { return bulkDataNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Import(context.Background(), snapSet()); err != nil {
		t.Fatal(err)
	}
	s := &snapDB{db: db, path: path}
	db.OnCommit(func(c allot.Change) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.published = append(s.published, c.Entitlements...)
	})
	return s
}

// snapState is what a bulk change may write, as stored: licenses, seat
// counters, users' versions, data rows, and the audit (without ids and
// times), one line a row.
func snapState(t *testing.T, path string) string {
	t.Helper()
	return sqlstore.DumpSQLite(t, path,
		`SELECT 'license', user_id, sku_id, pool, disabled_plans, assigned_at FROM licenses WHERE tenant_id = '`+snapTenant+`' ORDER BY user_id, sku_id`,
		`SELECT 'deleted license', user_id, sku_id, pool, disabled_plans, assigned_at FROM deleted_licenses WHERE tenant_id = '`+snapTenant+`' ORDER BY user_id, sku_id`,
		`SELECT 'pool', sku_id, pool, capacity, consumed FROM seat_pools WHERE tenant_id = '`+snapTenant+`' ORDER BY sku_id, pool`,
		`SELECT 'user', u.user_id, u.upn, v.version, u.account_enabled, u.deleted_at FROM users u LEFT JOIN user_versions v ON v.tenant_id = u.tenant_id AND v.user_id = u.user_id WHERE u.tenant_id = '`+snapTenant+`' ORDER BY u.user_id`,
		`SELECT 'data', user_id, upn, mailbox_state, mailbox_created_at, mailbox_since, mailbox_purge_at, files_state, files_since, files_delete_at, due_at, mailbox_plan_id, files_plan_id
			FROM user_data WHERE tenant_id = '`+snapTenant+`' ORDER BY user_id`,
		`SELECT 'audit', actor_id, actor_name, via, action, target_type, target_id, sku_id, before_json, after_json FROM audit_events WHERE tenant_id = '`+snapTenant+`' ORDER BY event_id`)
}

// snapOutcome is a bulk change's answer, comparable.
type snapOutcome struct {
	Results []string
	Err     string
}

// bulkOutcomeOf runs b on db and describes its answer.
func bulkOutcomeOf(db *sqlstore.DB, b allot.BulkLicenseChange) snapOutcome {
	res, err := db.AssignLicensesBulk(context.Background(), allot.SystemPrincipal(snapTenant, "test"), b)
	var out snapOutcome
	for _, r := range res {
		out.Results = append(out.Results, fmt.Sprintf("%q %s changed=%v %s %v", r.User, r.UserID, r.Changed, allot.ErrorCode(r.Err), r.Err))
	}
	if err != nil {
		out.Err = allot.ErrorCode(err) + " " + err.Error()
	}
	return out
}

// publishedState is what db published to its hooks, by user, in the form
// a cache keeps it: the snapshot's userPrincipalNames are in lower case,
// and its licenses carry no assignment date (which no cache keeps).
func (s *snapDB) publishedState() []allot.Entitlement {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []allot.Entitlement
	for _, e := range s.published {
		c := *e
		c.UserPrincipalName = strings.ToLower(c.UserPrincipalName)
		c.Licenses = nil
		for _, l := range e.Licenses {
			l.AssignedAt = time.Time{}
			c.Licenses = append(c.Licenses, l)
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b allot.Entitlement) int {
		return cmp.Or(strings.Compare(a.UserID, b.UserID), cmp.Compare(a.Version, b.Version))
	})
	return out
}

// snapPrincipal is the administrator of the snapshot tests' changes.
var snapPrincipal = allot.SystemPrincipal(snapTenant, "test")

// removeE3 and friends are the changes the tests make.
var (
	removeE3  = allot.LicenseChange{Remove: []string{benchE3}}
	addE3     = allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}}
	addE3Full = allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3, DisabledPlans: []string{}}}}
)

// mustSnap fails the test on err.
func mustSnap(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapCase is a bulk change made on two databases built alike, one
// planning from a snapshot taken after setup and before between, the
// other from SQL only.
type snapCase struct {
	name           string
	setup, between func(t *testing.T, d *snapDB)
	b              allot.BulkLicenseChange
	// planned and stale are what the snapshot's database counts (-1: not
	// checked, for the changes that add, which may come to be planned from
	// it); calls is whether the snapshot was asked at all.
	planned, stale int64
	calls          bool
	// grouped runs between and the bulk change in one transaction on the
	// snapshot's database, the bulk change second (one after the other on
	// the other database): a stale plan is rolled back to a savepoint, not
	// with the transaction, which holds the change made since.
	grouped bool
}

// Changes made to a user between the snapshot and the bulk change.
func assign(i int, ch allot.LicenseChange) func(t *testing.T, d *snapDB) {
	return func(t *testing.T, d *snapDB) {
		t.Helper()
		db := d.db
		_, err := db.AssignLicenses(context.Background(), snapPrincipal, snapUsers[i], ch)
		mustSnap(t, err)
	}
}

func deleteUser(i int) func(t *testing.T, d *snapDB) {
	return func(t *testing.T, d *snapDB) {
		t.Helper()
		db := d.db
		mustSnap(t, db.DeleteUser(context.Background(), snapPrincipal, snapUsers[i]))
	}
}

func disable(i int) func(t *testing.T, d *snapDB) {
	return func(t *testing.T, d *snapDB) {
		t.Helper()
		db := d.db
		off := false
		_, err := db.UpdateUser(context.Background(), snapPrincipal, snapUsers[i], allot.UserUpdate{AccountEnabled: &off})
		mustSnap(t, err)
	}
}

func keys(ks ...string) []string { return ks }

// archiveFirst dates the archive add-on's licenses before every other.
func archiveFirst(t *testing.T, d *snapDB) {
	sqliteExec(t, d.path, `UPDATE licenses SET assigned_at = 0 WHERE sku_id = '`+snapArchive+`'`)
}

// change is a bulk change that is not all or nothing.
func change(users []string, ch allot.LicenseChange) allot.BulkLicenseChange {
	return allot.BulkLicenseChange{Users: users, Change: ch}
}

// TestBulkFromSnapshot makes the same bulk change on two databases built
// alike, one planning from a snapshot of its committed state (PlanFrom),
// possibly made stale on purpose, the other from SQL. Both must answer
// the same and end the same: licenses, seat counters, users' versions,
// data rows, audit, and the entitlements published to the caches. The
// snapshot's database must count the change as planned from it, and as
// planned again from SQL when it was stale, where expected.
func TestBulkFromSnapshot(t *testing.T) {
	u := snapUsers
	allOrNothing := func(users ...string) allot.BulkLicenseChange {
		return allot.BulkLicenseChange{Users: users, Change: removeE3, AllOrNothing: true}
	}
	tests := []snapCase{
		// Current snapshots.
		{name: "holders, a user without the SKU, a refusal, duplicates",
			b:       change(keys(strings.ToUpper(u[0]), " "+strings.ToUpper(snapUPN(1))+"\t", u[2], u[3], u[4], u[0], strings.ToUpper(snapUPN(1))), removeE3),
			planned: 1, calls: true},
		{name: "a self-service license", b: change(keys(u[6]), allot.LicenseChange{Remove: []string{snapBP}}), planned: 1, calls: true},
		{name: "two SKUs at once", b: change(keys(u[3]), allot.LicenseChange{Remove: []string{benchE3, snapArchive}}), planned: 1, calls: true},
		// Licenses in another order than the snapshot's, where the data
		// rules do not read it: the other mailbox license stays
		// (allot.DataOrderMatters), and the user's licenses are not read
		// from SQL.
		{name: "the add-on assigned before E3, E3 removed", setup: archiveFirst, b: change(keys(u[3]), removeE3), planned: 1, calls: true},
		{name: "the add-on assigned before E3, the add-on removed", setup: archiveFirst,
			b: change(keys(u[3]), allot.LicenseChange{Remove: []string{snapArchive}}), planned: 1, calls: true},
		{name: "skip unchanged", b: allot.BulkLicenseChange{Users: keys(u[1], u[2]), Change: removeE3, SkipUnchanged: true}, planned: 1, calls: true},
		{name: "all or nothing, refused", b: allOrNothing(u[1], u[2]), planned: 1, calls: true},
		{name: "all or nothing, done", b: allOrNothing(u[1], snapUPN(4), u[5]), planned: 1, calls: true},
		{name: "an account disabled before the snapshot", setup: disable(1), b: change(keys(u[1]), removeE3), planned: 1, calls: true},
		// The snapshot declines, or is not asked.
		{name: "an unknown user", b: change(keys(u[1], "nobody@"+snapDomain), removeE3), calls: true},
		{name: "a user deleted before the snapshot", setup: deleteUser(1), b: change(keys(u[1], u[4]), removeE3), calls: true},
		{name: "a dry run", b: allot.BulkLicenseChange{Users: keys(u[1], u[2]), Change: removeE3, DryRun: true}},
		// Stale snapshots: each ends as SQL ends, planned again from it.
		{name: "the SKU assigned since, all or nothing", between: assign(2, addE3), b: allOrNothing(u[1], u[2]), planned: 1, stale: 1, calls: true},
		{name: "the SKU assigned since to a user left unchanged", between: assign(2, addE3), b: change(keys(u[2], u[1]), removeE3), planned: 1, stale: 1, calls: true},
		{name: "the SKU assigned since, skip unchanged", between: assign(2, addE3),
			b: allot.BulkLicenseChange{Users: keys(u[2]), Change: removeE3, SkipUnchanged: true}, planned: 1, stale: 1, calls: true},
		{name: "a license removed since", between: assign(1, removeE3), b: change(keys(u[1], u[0]), removeE3), planned: 1, stale: 1, calls: true},
		{name: "a user deleted since", between: deleteUser(1), b: change(keys(u[1], u[0]), removeE3), planned: 1, stale: 1, calls: true},
		{name: "disabled plans changed since", between: assign(0, addE3Full), b: change(keys(u[0]), removeE3), planned: 1, stale: 1, calls: true},
		{name: "an account disabled since", between: disable(1), b: change(keys(u[1]), removeE3), planned: 1, stale: 1, calls: true},
		// Changes that add: the same outcome, however planned.
		{name: "add", b: change(keys(u[2], u[1]), addE3), planned: -1, stale: -1, calls: true},
		{name: "add, replacing disabled plans", b: change(keys(u[0]), addE3Full), planned: -1, stale: -1, calls: true},
		{name: "add, all or nothing, the SKU removed since", between: assign(1, removeE3),
			b: allot.BulkLicenseChange{Users: keys(u[1], u[2]), Change: addE3, AllOrNothing: true}, planned: -1, stale: -1, calls: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSnapCase(t, tt) })
		if tt.stale > 0 {
			tt.grouped = true
			t.Run(tt.name+", in the transaction of the change since", func(t *testing.T) { runSnapCase(t, tt) })
		}
	}
}

// runSnapCase runs one case of TestBulkFromSnapshot.
func runSnapCase(t *testing.T, tt snapCase) {
	t.Helper()
	ref, got := openSnap(t), openSnap(t)
	for _, d := range []*snapDB{ref, got} {
		if tt.setup != nil {
			tt.setup(t, d)
		}
	}
	snap := takeSnapshot(t, got.db)
	got.db.PlanFrom(snap)
	for _, d := range []*snapDB{ref, got} {
		if tt.between != nil && !tt.grouped {
			tt.between(t, d)
		}
		d.mu.Lock()
		d.published = nil
		d.mu.Unlock()
	}
	if tt.grouped { // published, as it is in the same commit as the bulk change on got
		tt.between(t, ref)
	}
	want := bulkOutcomeOf(ref.db, tt.b)
	var gotOut snapOutcome
	if tt.grouped {
		if n, _ := got.db.Grouped(func() { tt.between(t, got) }, func() { gotOut = bulkOutcomeOf(got.db, tt.b) }); n != 2 {
			t.Fatalf("%d transactions committed, want 2: the holder's, and one for the change since and the bulk change", n)
		}
	} else {
		gotOut = bulkOutcomeOf(got.db, tt.b)
	}
	if !reflect.DeepEqual(want, gotOut) {
		t.Errorf("answer (-SQL +snapshot):\n-%+v\n+%+v", want, gotOut)
	}
	if w, g := snapState(t, ref.path), snapState(t, got.path); w != g {
		t.Errorf("stored state (-SQL +snapshot):\n%s", diffLines(w, g))
	}
	if w, g := ref.publishedState(), got.publishedState(); !reflect.DeepEqual(w, g) {
		t.Errorf("published entitlements (-SQL +snapshot):\n-%+v\n+%+v", w, g)
	}
	if planned, stale := ref.db.SnapshotPlans(); planned != 0 || stale != 0 {
		t.Errorf("the database without a snapshot counts %d planned, %d stale", planned, stale)
	}
	planned, stale := got.db.SnapshotPlans()
	if tt.planned >= 0 && (planned != tt.planned || stale != tt.stale) {
		t.Errorf("planned from the snapshot, stale (-want +got):\n-%d %d\n+%d %d", tt.planned, tt.stale, planned, stale)
	}
	if calls := snap.calls > 0; calls != tt.calls {
		t.Errorf("snapshot asked: %v, want %v", calls, tt.calls)
	}
}

// TestBulkFromSnapshotUPNCase removes E3, planned from the snapshot (whose
// userPrincipalNames are in lower case), from a user whose
// userPrincipalName has capitals: its data row must keep, or get, the
// userPrincipalName as the users table spells it, whether the row exists
// or the removal creates it (a mailbox provisioned before its state was
// kept, which the removal disconnects).
func TestBulkFromSnapshotUPNCase(t *testing.T) {
	tests := []struct {
		name    string
		dropRow bool
	}{
		{"the row exists", false},
		{"no row", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := openSnap(t)
			if tt.dropRow {
				sqliteExec(t, d.path, `DELETE FROM user_data WHERE user_id = '`+snapUsers[0]+`'`)
			}
			d.db.PlanFrom(takeSnapshot(t, d.db))
			if out := bulkOutcomeOf(d.db, change(keys(snapUsers[0]), removeE3)); out.Err != "" {
				t.Fatalf("bulk change: %+v", out)
			}
			if planned, stale := d.db.SnapshotPlans(); planned != 1 || stale != 0 {
				t.Errorf("planned from the snapshot, stale: %d %d, want 1 0", planned, stale)
			}
			raw, err := sql.Open("sqlite", d.path)
			mustSnap(t, err)
			defer raw.Close()
			var upn, state string
			err = raw.QueryRow(`SELECT upn, mailbox_state FROM user_data WHERE user_id = $1`, snapUsers[0]).Scan(&upn, &state)
			mustSnap(t, err)
			if want := snapUPN(0); upn != want || state != string(allot.MailboxDisconnected) {
				t.Errorf("data row (-want +got):\n-%s %s\n+%s %s", want, allot.MailboxDisconnected, upn, state)
			}
		})
	}
}

// TestBulkWithoutSnapshot checks that a database given no snapshot, or a
// nil one, plans from SQL.
func TestBulkWithoutSnapshot(t *testing.T) {
	for _, planFrom := range []bool{false, true} {
		t.Run(fmt.Sprint("PlanFrom(nil) ", planFrom), func(t *testing.T) {
			d := openSnap(t)
			if planFrom {
				d.db.PlanFrom(nil)
			}
			if out := bulkOutcomeOf(d.db, change(keys(snapUsers[1]), removeE3)); out.Err != "" || !strings.Contains(out.Results[0], "changed=true") {
				t.Fatalf("bulk change: %+v", out)
			}
			if planned, stale := d.db.SnapshotPlans(); planned != 0 || stale != 0 {
				t.Errorf("planned from the snapshot, stale: %d %d, want 0 0", planned, stale)
			}
		})
	}
}

// TestBulkTraceRegions checks that a bulk change planned from the
// snapshot marks its steps as regions of an execution trace (go tool
// trace, User-defined regions; docs/performance.md reads them), its
// commit and its publication included.
func TestBulkTraceRegions(t *testing.T) {
	d := openSnap(t)
	d.db.PlanFrom(takeSnapshot(t, d.db))
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("a trace is already running: %v", err)
	}
	out := bulkOutcomeOf(d.db, change(keys(snapUsers[1], snapUsers[4]), removeE3))
	trace.Stop()
	if out.Err != "" {
		t.Fatalf("bulk change: %+v", out)
	}
	for _, region := range []string{"sqlstore.bulk.snapshot", "sqlstore.bulk.plan", "sqlstore.bulk.write", "sqlstore.bulk.versions",
		"sqlstore.bulk.licenses", "sqlstore.bulk.data", "sqlstore.bulk.audit", "sqlstore.commit", "sqlstore.publish"} {
		if !bytes.Contains(buf.Bytes(), []byte(region)) {
			t.Errorf("the trace has no region %s", region)
		}
	}
}
