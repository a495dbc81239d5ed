package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
	"github.com/allot-project/allot/storetest"
)

// purgeFixture is a tenant with users deleted 31 days before now (due for
// the purge) and 29 days before now (not yet), on two handles of one
// database, as two processes would open it.
type purgeFixture struct {
	a, b          *sqlstore.DB
	p             allot.Principal
	now           time.Time
	old, recent   []string // user ids
	deletedBefore int      // users deleted in the tenant before the purge
}

// newPurgeFixture opens dsn twice and creates the tenant with nOld users
// due for the purge and two that are not.
func newPurgeFixture(t *testing.T, dsn string, nOld int) *purgeFixture {
	t.Helper()
	ctx := context.Background()
	clock := storetest.NewClock()
	f := &purgeFixture{a: openHandle(t, dsn, clock), b: openHandle(t, dsn, clock)}
	tn := &allot.Tenant{Name: "Purge", Domain: "purge.example"}
	if err := f.a.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	f.p = allot.SystemPrincipal(tn.ID, "test")
	start := clock.Now()
	f.old = createDeletedUsers(t, f.a, f.p, "old", nOld)
	clock.Advance(2 * 24 * time.Hour)
	f.recent = createDeletedUsers(t, f.a, f.p, "recent", 2)
	f.now = start.Add(31 * 24 * time.Hour)
	return f
}

// openHandle opens one more handle on dsn.
func openHandle(t *testing.T, dsn string, clock *storetest.Clock) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{Now: clock.Now, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// createDeletedUsers creates n users and deletes them at the clock's time,
// and returns their ids, sorted.
func createDeletedUsers(t *testing.T, db *sqlstore.DB, p allot.Principal, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("%s%03d@purge.example", prefix, i), DisplayName: prefix}
		if err := db.CreateUser(ctx, p, u); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteUser(ctx, p, u.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	return ids
}

// purgeAudits returns the target of every user.purge event, sorted.
func (f *purgeFixture) purgeAudits(t *testing.T) []string {
	t.Helper()
	events, err := f.a.FindAuditEvents(context.Background(), f.p, allot.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events {
		if e.Action == allot.AuditUserPurge {
			ids = append(ids, e.TargetID)
		}
	}
	slices.Sort(ids)
	return ids
}

// stillDeleted returns the ids of the users still restorable, sorted.
func (f *purgeFixture) stillDeleted(t *testing.T) []string {
	t.Helper()
	users, _, err := f.b.FindUsers(context.Background(), f.p, allot.UserFilter{Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	return ids
}

// engines are the database engines the exactly-once tests run on, each
// with the DSN of a fresh database.
var engines = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "allot.db") }},
	{"postgres", postgresURL},
}

// runConcurrently runs step from workers goroutines on each handle at
// once, as several processes would, and returns the sum of the counts
// they report.
func runConcurrently(t *testing.T, dbs []*sqlstore.DB, workers int, step func(*sqlstore.DB) (int, error)) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
	)
	for i := range len(dbs) * workers {
		db := dbs[i%len(dbs)]
		wg.Go(func() {
			n, err := step(db)
			mu.Lock()
			defer mu.Unlock()
			total += n
			errs = append(errs, err)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return total
}

// TestPurgeExactlyOnce purges from two handles of one database at once,
// and checks that each user deleted 31 days ago is purged and audited
// exactly once, and the users deleted 29 days ago stay.
func TestPurgeExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range engines {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newPurgeFixture(t, tt.dsn(t), 50)
			for round := range 3 {
				want := len(f.old)
				if round > 0 {
					want = 0
				}
				if got := runConcurrently(t, []*sqlstore.DB{f.a, f.b}, 3, func(db *sqlstore.DB) (int, error) {
					return db.PurgeDeletedUsers(context.Background(), f.now)
				}); got != want {
					t.Errorf("round %d: purged %d in all, want %d", round, got, want)
				}
			}
			if d := diffIDs(f.old, f.purgeAudits(t)); d != "" {
				t.Errorf("targets of user.purge events (-want +got):\n%s", d)
			}
			if d := diffIDs(f.recent, f.stillDeleted(t)); d != "" {
				t.Errorf("users still deleted (-want +got):\n%s", d)
			}
		})
	}
}

// TestPurgeTakesLeftLicenses purges a deleted user that still has a
// license row, written behind the store's back (deletion moves a user's
// licenses to deleted_licenses, so only a fault leaves one): the purge
// removes it with the user, which on SQLite no foreign key does
// (migration 0018), and its version (0019), and allot doctor finds
// nothing left.
func TestPurgeTakesLeftLicenses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, driver string }{{"sqlite", "sqlite"}, {"postgres", "pgx"}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := postgresURL(t)
			if tt.name == "sqlite" {
				dsn = filepath.Join(t.TempDir(), "allot.db")
			}
			f := newPurgeFixture(t, dsn, 1)
			raw, err := sql.Open(tt.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			count := func() int {
				var n int
				if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM licenses WHERE user_id = $1`, f.old[0]).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if _, err := raw.ExecContext(ctx, `INSERT INTO licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at) VALUES ($1, $2, $3, '', '', 0)`,
				f.p.TenantID, f.old[0], "05e9a617-0261-4cee-bb44-138d3ef5d965"); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d license rows before the purge, want 1", n)
			}
			if n, err := f.a.PurgeDeletedUsers(ctx, f.now); err != nil || n != 1 {
				t.Fatalf("purged %d users (%v), want 1", n, err)
			}
			if n := count(); n != 0 {
				t.Errorf("%d license rows of the purged user left", n)
			}
			problems, err := f.a.Doctor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				if p.Check == "integrity" {
					t.Errorf("doctor: %s", p)
				}
			}
		})
	}
}

// TestPurgeLeavesWorkToLockHolder holds the purge's advisory lock in a
// transaction of its own, as a purge running in another process would,
// and checks that a purge meanwhile does nothing, and one after the
// holder's commit does the work.
func TestPurgeLeavesWorkToLockHolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := postgresURL(t)
	f := newPurgeFixture(t, dsn, 3)
	holder, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var ok bool
	if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, sqlstore.LockKey("purge-deleted-users")).Scan(&ok); err != nil || !ok {
		t.Fatalf("taking the lock: %v, %v", ok, err)
	}
	tests := []struct {
		name   string
		before func() error
		want   int
	}{
		{"while the lock is held", func() error { return nil }, 0},
		{"once it is released", tx.Commit, len(f.old)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.before(); err != nil {
				t.Fatal(err)
			}
			if got, err := f.a.PurgeDeletedUsers(ctx, f.now); err != nil || got != tt.want {
				t.Errorf("purged %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// diffIDs compares two sorted lists of ids as multisets and returns a line
// "-id" for each one missing from got and "+id" for each one too many, or
// "" when they are equal.
func diffIDs(want, got []string) string {
	var b strings.Builder
	for len(want) > 0 || len(got) > 0 {
		switch {
		case len(got) == 0 || len(want) > 0 && want[0] < got[0]:
			fmt.Fprintf(&b, "-%s\n", want[0])
			want = want[1:]
		case len(want) == 0 || got[0] < want[0]:
			fmt.Fprintf(&b, "+%s\n", got[0])
			got = got[1:]
		default:
			want, got = want[1:], got[1:]
		}
	}
	return b.String()
}
