package index_test

import (
	"context"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/sqlstore"
)

// storeRows returns each user's row hint as the store's table scan reads
// it, by user id.
func storeRows(ctx context.Context, t *testing.T, db *sqlstore.DB) map[string]int64 {
	t.Helper()
	rows := map[string]int64{}
	must(t, db.ScanEntitlementTables(ctx, "", func(r *allot.UserRow) error {
		rows[r.UserID.String()] = r.Row
		return nil
	}, func(*allot.VersionRow) error { return nil }, func(*allot.MailboxRow) error { return nil }, func(*allot.LicenseRow) error { return nil }))
	return rows
}

// TestUserRow checks, on both engines, the row hints the index keeps: the
// store's rowids on SQLite (distinct, none 0) and none on PostgreSQL;
// found by id or UPN in any case; 0 for deleted, unknown and new users
// and for another tenant's; kept across the changes that replace a user
// (which carry no row) and a deletion and restore; 0 for an index loaded
// through the join, which reads no rows.
func TestUserRow(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			db := openEngine(t, engine)
			ix := index.New(db.Catalog(), db)
			db.OnCommit(func(c allot.Change) { must(t, ix.Apply(ctx, c)) })
			w, other := newWorld(t, db), newWorld(t, db)
			me, gone := w.users[0], w.users[2]
			must(t, db.DeleteUser(ctx, w.p, gone.ID))
			rows := storeRows(ctx, t, db)
			checkStoreRows(t, engine, rows)
			must(t, ix.Load(ctx))
			tests := []struct {
				name   string
				tenant string
				key    string
				want   int64
			}{
				{"by id", w.tenant.ID, me.ID, rows[me.ID]},
				{"by upper-case id", w.tenant.ID, strings.ToUpper(w.users[1].ID), rows[w.users[1].ID]},
				{"by UPN in another case, spaced", w.tenant.ID, " " + strings.ToUpper(w.users[3].UserPrincipalName) + " ", rows[w.users[3].ID]},
				{"deleted, by id", w.tenant.ID, gone.ID, 0},
				{"deleted, by UPN", w.tenant.ID, gone.UserPrincipalName, 0},
				{"unknown UPN", w.tenant.ID, "ghost@" + w.tenant.Domain, 0},
				{"not an id", w.tenant.ID, "not-a-guid", 0},
				{"another tenant's user", w.tenant.ID, other.users[0].ID, 0},
				{"unknown tenant", "no-such-tenant", me.ID, 0},
			}
			for _, tt := range tests {
				if got := ix.UserRow(tt.tenant, tt.key); got != tt.want {
					t.Errorf("%s: UserRow(%q) -want +got\n-%d\n+%d", tt.name, tt.key, tt.want, got)
				}
			}

			// Changes carry no row: the hint stays through them.
			off := false
			_, err := db.AssignLicenses(ctx, w.p, me.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3}}})
			must(t, err)
			_, err = db.UpdateUser(ctx, w.p, me.ID, allot.UserUpdate{AccountEnabled: &off})
			must(t, err)
			_, err = db.RestoreUser(ctx, w.p, gone.ID)
			must(t, err)
			fresh := &allot.User{UserPrincipalName: "fresh@" + w.tenant.Domain, DisplayName: "F", UsageLocation: "FR", AccountEnabled: true}
			must(t, db.CreateUser(ctx, w.p, fresh))
			for _, tt := range []struct {
				name string
				key  string
				want int64
			}{
				{"changed", me.ID, rows[me.ID]},
				{"restored, by UPN", gone.UserPrincipalName, rows[gone.ID]},
				{"created after the load", fresh.ID, 0},
			} {
				if got := ix.UserRow(w.tenant.ID, tt.key); got != tt.want {
					t.Errorf("%s: UserRow(%q) -want +got\n-%d\n+%d", tt.name, tt.key, tt.want, got)
				}
			}

			joined := index.New(db.Catalog(), joinOnly{db})
			must(t, joined.Load(ctx))
			if got := joined.UserRow(w.tenant.ID, me.ID); got != 0 {
				t.Errorf("loaded through the join: UserRow = %d, want 0", got)
			}
		})
	}
}

// checkStoreRows checks the rows the store's scan reports: distinct and
// never 0 on SQLite (its rowids), all 0 on PostgreSQL.
func checkStoreRows(t *testing.T, engine string, rows map[string]int64) {
	t.Helper()
	seen := map[int64]string{}
	for id, r := range rows {
		switch {
		case engine != "sqlite" && r != 0:
			t.Errorf("%s: user %s has row %d, want 0", engine, id, r)
		case engine == "sqlite" && r == 0:
			t.Errorf("user %s has row 0, want its rowid", id)
		case engine == "sqlite" && seen[r] != "":
			t.Errorf("users %s and %s share row %d", seen[r], id, r)
		}
		seen[r] = id
	}
}
