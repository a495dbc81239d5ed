package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// bulkDataNow is the pinned clock of the bulk data tests.
var bulkDataNow = time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)

// openBulkData opens a database on the pinned clock with the tenant of
// benchBulkSet(n) imported: even users hold E3 (with a mailbox, so a data
// row), odd users hold nothing (no data row).
func openBulkData(t *testing.T, dsn string, n int) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Now: func() time.Time { return bulkDataNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Import(ctx, benchBulkSet(n)); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestBulkDataRows removes E3 from k users holding it (their data rows
// are rewritten) and adds it to k users without it (their rows are
// created), for k at the chunk boundaries of the statements that write
// them, on both engines, the data rows held 7 users at a time. The users'
// data, licenses and seats must be what the same changes made one user at
// a time give, their data rows written by one upsert each (the path
// engines without a statement journal take).
func TestBulkDataRows(t *testing.T) {
	const n = 1003 // 502 even users hold E3, 501 odd ones do not
	sqlstore.SetBulkDataChunk(t, 7)
	set := benchBulkSet(n)
	remove := allot.LicenseChange{Remove: []string{benchE3}}
	add := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}}
	for _, engine := range []struct {
		name, driver string
		dsn          func(t *testing.T) string
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "allot.db") }},
		{"postgres", "pgx", postgresURL},
	} {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			for _, k := range []int{0, 1, bulkChunk, bulkChunk + 1} {
				t.Run(fmt.Sprint(k, " users"), func(t *testing.T) {
					bulkDSN, singleDSN := engine.dsn(t), engine.dsn(t)
					bulk, single := openBulkData(t, bulkDSN, n), openBulkData(t, singleDSN, n)
					single.UpsertUserData()
					bulkMailboxes, singleMailboxes := publishedMailboxes(bulk), publishedMailboxes(single)
					var holders, others []string
					for i, u := range set.Users {
						if i%2 == 0 && len(holders) < k {
							holders = append(holders, u.ID)
						} else if i%2 == 1 && len(others) < k {
							others = append(others, u.ID)
						}
					}
					for _, step := range []struct {
						users []string
						ch    allot.LicenseChange
					}{{holders, remove}, {others, add}} {
						bulkChange(t, bulk, step.users, step.ch)
						for _, id := range step.users {
							if _, err := single.AssignLicenses(context.Background(), allot.SystemPrincipal(benchTenant, "test"), id, step.ch); err != nil {
								t.Fatal(err)
							}
						}
					}
					if want, got := tenantState(t, single, set), tenantState(t, bulk, set); want != got {
						t.Errorf("after the bulk changes (-one at a time +bulk):\n%s", diffLines(want, got))
					}
					if want, got := storedData(t, engine.driver, singleDSN), storedData(t, engine.driver, bulkDSN); want != got {
						t.Errorf("data rows after the bulk changes (-one at a time +bulk):\n%s", diffLines(want, got))
					}
					if want, got := singleMailboxes(), bulkMailboxes(); want != got {
						t.Errorf("mailbox states published (-one at a time +bulk):\n%s", diffLines(want, got))
					}
				})
			}
		})
	}
}

// publishedMailboxes records the mailbox state of the entitlements db
// publishes, and returns a function describing the last of each user's,
// one line per user.
func publishedMailboxes(db *sqlstore.DB) func() string {
	var mu sync.Mutex
	last := map[string]string{}
	db.OnCommit(func(c allot.Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range c.Entitlements {
			last[e.UserID] = fmt.Sprintf("%s known=%v %s", e.UserID, e.MailboxKnown, e.Mailbox)
		}
	})
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		lines := slices.Sorted(maps.Values(last))
		return strings.Join(lines, "\n")
	}
}

// bulkChange makes an all-or-nothing bulk change, failing the test on a
// refusal.
func bulkChange(t *testing.T, db *sqlstore.DB, users []string, ch allot.LicenseChange) {
	t.Helper()
	_, err := db.AssignLicensesBulk(context.Background(), allot.SystemPrincipal(benchTenant, "test"),
		allot.BulkLicenseChange{Users: users, Change: ch, AllOrNothing: true})
	if err != nil {
		t.Fatal(err)
	}
}

// tenantState describes, one line per user, what a bulk change may write
// about them (their licenses' SKUs and their data), then E3's seats.
func tenantState(t *testing.T, db *sqlstore.DB, set sqlstore.ImportSet) string {
	t.Helper()
	ctx := context.Background()
	p := allot.SystemPrincipal(benchTenant, "test")
	var b strings.Builder
	for _, u := range set.Users {
		got, err := db.FindUser(ctx, p, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var skus []string
		for _, l := range got.Licenses {
			skus = append(skus, l.SKUID)
		}
		d, err := db.FindUserData(ctx, p, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %v %+v\n", u.ID, skus, *d)
	}
	sku, err := db.FindSubscribedSKU(ctx, p, benchE3)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "E3 consumed %d\n", sku.Consumed)
	return b.String()
}

// storedData reads the user_data rows as stored, one line each.
func storedData(t *testing.T, driver, dsn string) string {
	t.Helper()
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var b strings.Builder
	sqlstore.RowLines(t, &b, raw, `SELECT tenant_id, user_id, upn, mailbox_state, mailbox_created_at, mailbox_since, mailbox_purge_at,
		files_state, files_since, files_delete_at, due_at, mailbox_plan_id, files_plan_id FROM user_data ORDER BY tenant_id, user_id`)
	return b.String()
}

// diffLines shows the first lines that differ between want and got.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			out = append(out, "-"+wl, "+"+gl)
		}
	}
	return strings.Join(out, "\n")
}

// TestBulkDataRollback makes one data row of a bulk change fail half-way
// through the statements that write them, without a statement journal
// (OR FAIL): once on a row being rewritten, once on a row being created,
// each after many rows of its statement were written. Nothing of the change may remain: licenses,
// data, seats and audit as before.
func TestBulkDataRollback(t *testing.T) {
	const n = 1003
	set := benchBulkSet(n)
	var holders, others []string
	for i, u := range set.Users {
		if i%2 == 0 {
			holders = append(holders, u.ID)
		} else {
			others = append(others, u.ID)
		}
	}
	tests := []struct {
		name    string
		trigger string // a failing trigger on user_data
		users   []string
		ch      allot.LicenseChange
	}{
		{"a rewritten row fails", "BEFORE UPDATE", holders[:bulkChunk+1], allot.LicenseChange{Remove: []string{benchE3}}},
		{"a created row fails", "BEFORE INSERT", others[:bulkChunk+1], allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "allot.db")
			db := openBulkData(t, path, n)
			// The rows are written in user id order: fail the 491st, late
			// in the first UPDATE or in the second INSERT.
			sorted := append([]string(nil), tt.users...)
			slices.Sort(sorted)
			sqliteExec(t, path, `CREATE TRIGGER boom `+tt.trigger+` ON user_data WHEN NEW.user_id = '`+sorted[bulkChunk-10]+`'
				BEGIN SELECT RAISE(FAIL, 'boom'); END`)
			before := tenantState(t, db, set)
			ctx := context.Background()
			p := allot.SystemPrincipal(benchTenant, "test")
			events, err := db.FindAuditEvents(ctx, p, allot.AuditFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.AssignLicensesBulk(ctx, p, allot.BulkLicenseChange{Users: tt.users, Change: tt.ch, AllOrNothing: true})
			if err == nil || !strings.Contains(err.Error(), "boom") {
				t.Fatalf("bulk change: %v, want the trigger's failure", err)
			}
			if after := tenantState(t, db, set); after != before {
				t.Errorf("after the failed bulk change (-before +after):\n%s", diffLines(before, after))
			}
			after, err := db.FindAuditEvents(ctx, p, allot.AuditFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(after, events) {
				t.Errorf("audit events: %d before, %d after the failed change", len(events), len(after))
			}
		})
	}
}
