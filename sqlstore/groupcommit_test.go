package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// openTemp opens a SQLite database in a temporary directory, closed when
// the test ends.
func openTemp(t *testing.T) *DB { return openTempWith(t, Options{}) }

// openTempWith is openTemp with options.
func openTempWith(t *testing.T, o Options) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "allot.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// groupTenant creates the tenant g.example, with one user, and returns it
// and its system principal.
func groupTenant(t *testing.T, db *DB, upn, name string) (*allot.Tenant, allot.Principal) {
	t.Helper()
	ctx := context.Background()
	tn := &allot.Tenant{Name: "G", Domain: "g.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tn.ID, "t")
	if err := db.CreateUser(ctx, p, &allot.User{UserPrincipalName: upn, DisplayName: name}); err != nil {
		t.Fatal(err)
	}
	return tn, p
}

// TestGroupCommit holds the committer on a first write while others queue,
// then checks they commit together, each with its own outcome.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	_, p := groupTenant(t, db, "taken@g.example", "T")
	const n = 20
	errs := make([]error, n)
	writes := make([]func(), n)
	for i := range writes {
		writes[i] = func() {
			upn := fmt.Sprintf("u%d@g.example", i)
			if i%4 == 3 {
				upn = "taken@g.example" // a duplicate: refused alone
			}
			errs[i] = db.CreateUser(ctx, p, &allot.User{UserPrincipalName: upn, DisplayName: "U", AccountEnabled: true})
		}
	}
	commits, written := db.Grouped(writes...)
	failed := 0
	for i, err := range errs {
		switch {
		case i%4 == 3 && allot.ErrorCode(err) != allot.ECONFLICT:
			t.Errorf("duplicate %d: %v, want conflict", i, err)
		case i%4 == 3:
			failed++
		case err != nil:
			t.Errorf("write %d: %v", i, err)
		}
	}
	if commits != 2 || written != int64(1+n-failed) {
		t.Errorf("group commit: %d commits for %d writes, want 2 commits for %d", commits, written, 1+n-failed)
	}
	got, err := db.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil || got != 1+n-failed {
		t.Errorf("users = %d (%v), want %d", got, err, 1+n-failed)
	}
}

// TestGroupCommitFirstRefused refuses the first write of a group after it
// wrote, which runs without a savepoint: the transaction is rolled back
// and begun again, and the writes after it, one refused inside its
// savepoint, commit in it without a trace of either refusal.
func TestGroupCommitFirstRefused(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	tn, p := groupTenant(t, db, "kept@g.example", "Kept")
	refusal := allot.Errorf(allot.EINVALID, "refused after writing")
	rename := func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET display_name = 'Renamed' WHERE tenant_id = $1`, tn.ID)
		return err
	}
	writesIn := []func(tx *Tx) error{
		func(tx *Tx) error { // first: no savepoint
			if !tx.pristine {
				t.Error("the group's first write is not pristine")
			}
			if err := rename(tx); err != nil {
				return err
			}
			return refusal
		},
		func(tx *Tx) error { // first again, in the transaction begun anew
			if !tx.pristine {
				t.Error("the write after a refused first one is not pristine")
			}
			return tx.createUser(ctx, p, &allot.User{ID: "c0000000-0000-4000-8000-0000000000ad", TenantID: tn.ID,
				UserPrincipalName: "added@g.example", DisplayName: "Added"})
		},
		func(tx *Tx) error { // inside its savepoint
			if err := rename(tx); err != nil {
				return err
			}
			return refusal
		},
	}
	errs := make([]error, len(writesIn))
	runs := make([]func(), len(writesIn))
	for i, fn := range writesIn {
		runs[i] = func() { errs[i] = db.update(ctx, fn) }
	}
	commits, written := db.Grouped(runs...)
	if errs[0] == nil || errs[0].Error() != refusal.Error() || errs[1] != nil || errs[2] == nil || errs[2].Error() != refusal.Error() {
		t.Errorf("outcomes: %v, want the refusal, nil, the refusal", errs)
	}
	if commits != 2 || written != 2 {
		t.Errorf("%d commits of %d writes, want 2 of 2: the holder's, and the group's one write", commits, written)
	}
	users, _, err := db.FindUsers(ctx, p, allot.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.UserPrincipalName+" "+u.DisplayName)
	}
	slices.Sort(got)
	if want := []string{"added@g.example Added", "kept@g.example Kept"}; !slices.Equal(got, want) {
		t.Errorf("users -want +got\n-%q\n+%q", want, got)
	}
}

// TestCheckpointsBesideWriter checks that the writer's commits no longer
// checkpoint the WAL, and that the checkpoints beside it copy committed
// pages into the database file without anything else asking.
func TestCheckpointsBesideWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "allot.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var auto int
	if err := db.update(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto)
	}); err != nil || auto != 0 {
		t.Fatalf("the writer's wal_autocheckpoint is %d (%v), want 0", auto, err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before, checkpoints := size(), db.group.checkpointed.Load()
	tn := &allot.Tenant{Name: "C", Domain: "c.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tn.ID, "t")
	for i := range 300 {
		if err := db.CreateUser(ctx, p, &allot.User{UserPrincipalName: fmt.Sprintf("u%03d@c.example", i), DisplayName: strings.Repeat("U", 200)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; size() <= before; i++ {
		if i == 500 {
			t.Fatalf("the database file stayed at %d bytes for 5 s after the commits (%d checkpoints)", before, db.group.checkpointed.Load()-checkpoints)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := db.group.checkpointed.Load() - checkpoints; n < 1 || n > 301 {
		t.Errorf("%d checkpoints after 301 commits, want at least one and at most one a commit", n)
	}
}

// TestBulkDataAfterGroupMate runs, in one group commit, a single change
// that disconnects a user's mailbox and then a bulk change that gives the
// user its license back with eleven others. The bulk change is not the
// first write of its transaction, so it must read the users' data in the
// writer, where the first change's row is, not from a reader's snapshot
// (dataPrefetch): it reconnects the mailbox, as the same two changes
// committed one after the other do. Alone in its transaction, the next
// bulk change takes its data from the reader, with the same outcome as
// the reference's.
func TestBulkDataAfterGroupMate(t *testing.T) {
	old := bulkDataChunk
	bulkDataChunk = 4
	t.Cleanup(func() { bulkDataChunk = old })
	const e3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	set := ImportSet{
		Tenant: &allot.Tenant{ID: "c0000000-0000-4000-8000-000000000001", Name: "Group", Domain: "group.example"},
		Subscriptions: []*allot.Subscription{{ID: "c0000000-0000-4000-8000-000000000002", SKUID: e3, Quantity: 20,
			Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin}},
	}
	var ids []string
	for i := range 12 {
		u := &allot.User{ID: fmt.Sprintf("c0000000-0000-4000-8000-1000000000%02d", i), UserPrincipalName: fmt.Sprintf("u%02d@group.example", i),
			DisplayName: "U", UsageLocation: "FR", AccountEnabled: true}
		if i == 0 {
			u.Licenses = []allot.License{{SKUID: e3, DisabledPlans: []string{}}}
		}
		set.Users = append(set.Users, u)
		ids = append(ids, u.ID)
	}
	open := func() *DB {
		db, err := Open(ctx, filepath.Join(t.TempDir(), "allot.db"), Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Import(ctx, set); err != nil {
			t.Fatal(err)
		}
		return db
	}
	p := allot.SystemPrincipal(set.Tenant.ID, "test")
	remove := allot.LicenseChange{Remove: []string{e3}}
	bulk := func(db *DB, ch allot.LicenseChange) error {
		_, err := db.AssignLicensesBulk(ctx, p, allot.BulkLicenseChange{Users: ids, Change: ch, AllOrNothing: true, SkipUnchanged: true})
		return err
	}
	add := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3}}}

	want := open() // the same changes, each committed alone
	if _, err := want.AssignLicenses(ctx, p, ids[0], remove); err != nil {
		t.Fatal(err)
	}
	if err := bulk(want, add); err != nil {
		t.Fatal(err)
	}

	db := open()
	var single, grouped error
	commits, _ := db.Grouped(func() { _, single = db.AssignLicenses(ctx, p, ids[0], remove) }, func() { grouped = bulk(db, add) })
	if single != nil {
		t.Fatal(single)
	}
	if grouped != nil {
		t.Fatal(grouped)
	}
	if commits != 2 {
		t.Fatalf("%d commits, want 2: the blocking write's and the group's", commits)
	}
	if n := db.prefetched.Load(); n != 0 {
		t.Errorf("the bulk change after a group mate took %d chunks from a reader, want 0", n)
	}
	same := func(stage string) {
		t.Helper()
		for _, id := range ids {
			w, err := want.FindUserData(ctx, p, id)
			if err != nil {
				t.Fatal(err)
			}
			g, err := db.FindUserData(ctx, p, id)
			if err != nil {
				t.Fatal(err)
			}
			if *w != *g {
				t.Errorf("%s: data of %s is %+v, want %+v", stage, id, *g, *w)
			}
		}
	}
	same("grouped")

	if err := bulk(want, remove); err != nil {
		t.Fatal(err)
	}
	if err := bulk(db, remove); err != nil {
		t.Fatal(err)
	}
	if n := db.prefetched.Load(); n != 3 {
		t.Errorf("the bulk change alone took %d chunks of 4 users from a reader, want 3", n)
	}
	same("alone")
}

// TestLongWork checks that a write that runs past longTx, and only such a
// one, is reported as long work once, and ended once, whether it commits
// or fails; a long read only when it serves a write (dataPrefetch).
func TestLongWork(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	var mu sync.Mutex
	began, ended := 0, 0
	db.OnLongWork(func() func() {
		mu.Lock()
		defer mu.Unlock()
		began++
		return func() {
			mu.Lock()
			defer mu.Unlock()
			ended++
		}
	})
	counts := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return began, ended
	}
	statements := func(tx *Tx, wait time.Duration) error {
		for range 3 {
			if _, err := tx.ExecContext(ctx, `SELECT 1`); err != nil {
				return err
			}
			time.Sleep(wait)
		}
		return nil
	}
	// A short write is not long work, though a stall of the machine may
	// make one so: one of five must not be.
	short := false
	for i := 0; i < 5 && !short; i++ {
		b0, _ := counts()
		if err := db.update(ctx, func(tx *Tx) error { return statements(tx, 0) }); err != nil {
			t.Fatal(err)
		}
		b, _ := counts()
		short = b == b0
	}
	if !short {
		t.Error("five short writes all became long work")
	}
	refused := fmt.Errorf("refused")
	for _, c := range []struct {
		name       string
		run        func(fn func(*Tx) error) error
		wait       time.Duration
		fail       bool
		wantBegan  int
		wantResult error
	}{
		{"long write", func(fn func(*Tx) error) error { return db.update(ctx, fn) }, 2 * longTx, false, 1, nil},
		{"long write refused", func(fn func(*Tx) error) error { return db.update(ctx, fn) }, 2 * longTx, true, 1, refused},
		{"long read", func(fn func(*Tx) error) error { return db.view(ctx, fn) }, 2 * longTx, false, 0, nil},
		{"long read for a write", func(fn func(*Tx) error) error {
			return db.view(ctx, func(tx *Tx) error { tx.lends = true; return fn(tx) })
		}, 2 * longTx, false, 1, nil},
	} {
		b0, e0 := counts()
		err := c.run(func(tx *Tx) error {
			if err := statements(tx, c.wait); err != nil {
				return err
			}
			if c.fail {
				return refused
			}
			return nil
		})
		if err != c.wantResult {
			t.Fatalf("%s: %v, want %v", c.name, err, c.wantResult)
		}
		b, e := counts()
		if b-b0 != c.wantBegan || e-e0 != c.wantBegan {
			t.Errorf("%s: long work began %d times and ended %d, want %d and %d", c.name, b-b0, e-e0, c.wantBegan, c.wantBegan)
		}
	}
}
