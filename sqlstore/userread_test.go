package sqlstore_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// TestReadUserAt reads users by ReadUserAt with good and stale row hints,
// on both engines, and checks that every answer is the read by key's (the
// user, or UserNotFound) and the user meant: a hint at another user's
// row, at a deleted user's, at another tenant's user's or at no row
// changes nothing. On PostgreSQL, which has no row locators, any hint is
// ignored.
func TestReadUserAt(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			db := openUserReadDB(t, engine)
			p, other := userReadTenant(t, db, "a"), userReadTenant(t, db, "b")
			a, b, gone := userReadUser(t, db, p, "a"), userReadUser(t, db, p, "b"), userReadUser(t, db, p, "gone")
			stranger := userReadUser(t, db, other, "stranger")
			_, err := db.AssignLicenses(ctx, p, a.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
			noErr(t, err)
			noErr(t, db.DeleteUser(ctx, p, gone.ID))
			rows := userRows(t, db, engine)
			const noRow = 1 << 40
			tests := []struct {
				name   string
				key    string
				row    int64
				wantID string // "" for UserNotFound
			}{
				{"by id at its row", a.ID, rows[a.ID], a.ID},
				{"by UPN in upper case at its row", strings.ToUpper(a.UserPrincipalName), rows[a.ID], a.ID},
				{"without a hint", b.ID, 0, b.ID},
				{"at another user's row", a.ID, rows[b.ID], a.ID},
				{"by UPN at another user's row", b.UserPrincipalName, rows[a.ID], b.ID},
				{"at a deleted user's row", a.ID, rows[gone.ID], a.ID},
				{"at another tenant's user's row", b.ID, rows[stranger.ID], b.ID},
				{"at no row", a.ID, noRow, a.ID},
				{"deleted, at its row", gone.ID, rows[gone.ID], ""},
				{"deleted, by UPN at its row", gone.UserPrincipalName, rows[gone.ID], ""},
				{"another tenant's user at its row", stranger.ID, rows[stranger.ID], ""},
				{"unknown, at a user's row", "ghost@a.example", rows[a.ID], ""},
			}
			for _, tt := range tests {
				for _, withLicenses := range []bool{true, false} {
					want, wantErr := db.ReadUser(ctx, p, tt.key, withLicenses)
					got, err := db.ReadUserAt(ctx, p, tt.key, withLicenses, tt.row)
					if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(err, wantErr) {
						t.Errorf("%s (licenses %v): -want +got\n-%+v %v\n+%+v %v", tt.name, withLicenses, want, wantErr, got, err)
					}
					gotID, gotCode := "", allot.ErrorCode(err)
					if got != nil {
						gotID = got.ID
					}
					if wantCode := map[bool]string{true: allot.ENOTFOUND}[tt.wantID == ""]; gotID != tt.wantID || gotCode != wantCode {
						t.Errorf("%s (licenses %v): user, code -want +got\n-%q %q\n+%q %q", tt.name, withLicenses, tt.wantID, wantCode, gotID, gotCode)
					}
					if withLicenses && gotID == a.ID && len(got.Licenses) != 1 {
						t.Errorf("%s: %d licenses, want a's 1", tt.name, len(got.Licenses))
					}
				}
			}
		})
	}
}

// TestReadUserAtPlan checks that on SQLite the hinted read finds the user
// by its rowid, one B-tree descent, whether named by id or UPN, with or
// without its licenses; and the read by key through the key's index.
func TestReadUserAtPlan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allot.db")
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{Synchronous: "NORMAL"})
	noErr(t, err)
	defer db.Close()
	tests := []struct {
		name                        string
		byUPN, withLicenses, hinted bool
		want                        string
	}{
		{"by id, hinted", false, false, true, "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"},
		{"by UPN, hinted", true, false, true, "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"},
		{"by id with licenses, hinted", false, true, true, "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"},
		{"by UPN with licenses, hinted", true, true, true, "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"},
		{"by id", false, false, false, "SEARCH u USING INDEX sqlite_autoindex_users_1 (tenant_id=? AND user_id=?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := db.UserReadQuery(tt.byUPN, tt.withLicenses, tt.hinted)
			args := []any{"t", "k"}
			if tt.hinted {
				args = append(args, 1)
			}
			if got := sqlitePlan(t, path, q, args...); len(got) == 0 || got[0] != tt.want {
				t.Errorf("plan's first step -want +got\n-%q\n+%q", tt.want, got)
			}
		})
	}
}

// TestReadUserCanceled: a point read runs its statement without the
// context's cancellation (queryRead), but a context already done is still
// refused before anything is read, with or without licenses, by either
// read of one user.
func TestReadUserCanceled(t *testing.T) {
	db := openUserReadDB(t, "sqlite")
	p := userReadTenant(t, db, "cancel")
	u := userReadUser(t, db, p, "adele")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, withLicenses := range []bool{false, true} {
		if got, err := db.ReadUser(ctx, p, u.ID, withLicenses); !errors.Is(err, context.Canceled) {
			t.Errorf("ReadUser(withLicenses %v) with a canceled context = %v, %v; want context.Canceled", withLicenses, got, err)
		}
		if got, err := db.ReadUser(context.Background(), p, u.ID, withLicenses); err != nil || got.ID != u.ID {
			t.Errorf("ReadUser(withLicenses %v) = %v, %v; want the user", withLicenses, got, err)
		}
	}
	if got, err := db.FindUserLicenses(ctx, p, u.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("FindUserLicenses with a canceled context = %v, %v; want context.Canceled", got, err)
	}
}

// skuE3 is Office 365 E3 in the demo catalog.
const skuE3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"

// openUserReadDB opens an empty store on the engine.
func openUserReadDB(t *testing.T, engine string) *sqlstore.DB {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "allot.db")
	if engine == "postgres" {
		dsn = postgresURL(t)
	}
	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{Synchronous: "NORMAL"})
	noErr(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// userReadTenant creates a tenant with 5 seats of E3 and returns its
// system principal.
func userReadTenant(t *testing.T, db *sqlstore.DB, name string) allot.Principal {
	t.Helper()
	ctx := context.Background()
	tn := &allot.Tenant{Name: name, Domain: name + ".example"}
	noErr(t, db.CreateTenant(ctx, tn))
	p := allot.SystemPrincipal(tn.ID, "test")
	noErr(t, db.CreateSubscription(ctx, p, &allot.Subscription{SKUID: skuE3, Quantity: 5}))
	return p
}

// userReadUser creates the user name@<the tenant's domain>.
func userReadUser(t *testing.T, db *sqlstore.DB, p allot.Principal, name string) *allot.User {
	t.Helper()
	tn, err := db.FindTenantByID(context.Background(), p.TenantID)
	noErr(t, err)
	u := &allot.User{UserPrincipalName: name + "@" + tn.Domain, DisplayName: name, UsageLocation: "FR", AccountEnabled: true}
	noErr(t, db.CreateUser(context.Background(), p, u))
	return u
}

// userRows returns each user's row hint as ScanEntitlementTables reads
// it; on PostgreSQL, which reports none, made-up distinct hints, to show
// that they are ignored.
func userRows(t *testing.T, db *sqlstore.DB, engine string) map[string]int64 {
	t.Helper()
	rows := map[string]int64{}
	noErr(t, db.ScanEntitlementTables(context.Background(), "", func(r *allot.UserRow) error {
		if engine == "sqlite" && r.Row == 0 {
			t.Errorf("user %s: row hint 0 on SQLite, want its rowid", r.UserID)
		}
		if engine != "sqlite" && r.Row != 0 {
			t.Errorf("user %s: row hint %d on %s, want 0", r.UserID, r.Row, engine)
		}
		rows[r.UserID.String()] = r.Row
		if r.Row == 0 {
			rows[r.UserID.String()] = int64(len(rows))
		}
		return nil
	}, func(*allot.VersionRow) error { return nil }, func(*allot.MailboxRow) error { return nil }, func(*allot.LicenseRow) error { return nil }))
	return rows
}

// noErr fails the test at once on an error.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkReadUserAt reads random users of a 100,000-user SQLite tenant
// (a file larger than a reader's page cache) without their licenses, as
// GET /users/{id} does: by key (ReadUser), at the row the hint names, and
// with a stale hint (another user's row), which reads twice.
func BenchmarkReadUserAt(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "allot.db"), sqlstore.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	set := benchBulkSet(100_000)
	if err := db.Import(ctx, set); err != nil {
		b.Fatal(err)
	}
	var ids []string
	var rows []int64
	err = db.ScanEntitlementTables(ctx, benchTenant, func(r *allot.UserRow) error {
		ids, rows = append(ids, r.UserID.String()), append(rows, r.Row)
		return nil
	}, func(*allot.VersionRow) error { return nil }, func(*allot.MailboxRow) error { return nil }, func(*allot.LicenseRow) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	p := allot.SystemPrincipal(benchTenant, "bench")
	for _, mode := range []string{"key", "hint", "stale"} {
		b.Run(mode, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				i := rng.IntN(len(ids))
				var u *allot.User
				var err error
				switch mode {
				case "key":
					u, err = db.ReadUser(ctx, p, ids[i], false)
				case "hint":
					u, err = db.ReadUserAt(ctx, p, ids[i], false, rows[i])
				case "stale":
					u, err = db.ReadUserAt(ctx, p, ids[i], false, rows[(i+1)%len(rows)])
				}
				if err != nil || u.ID != ids[i] {
					b.Fatalf("%s: %v, %v", ids[i], u, err)
				}
			}
		})
	}
}
