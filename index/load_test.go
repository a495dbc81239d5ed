package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/internal/pglocal"
	"github.com/allot-project/allot/sqlstore"
)

// joinOnly hides a store's table scans, so that the index loads through
// ScanEntitlements' join.
type joinOnly struct{ allot.EntitlementSource }

// TestLoadByTablesMatchesJoin loads, on both engines, one index through
// the store's table scans and one through its join, after random changes,
// and checks that every answer of both is the database's, and that the
// store's own Check (SQL, used while an index loads) answers as the index
// does, users named by id, upper-case id or UPN.
func TestLoadByTablesMatchesJoin(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			db := openEngine(t, engine)
			if _, ok := allot.EntitlementSource(db).(allot.EntitlementTables); !ok {
				t.Fatal("the store does not offer table scans")
			}
			w := newWorld(t, db)
			r := rand.New(rand.NewPCG(5, 6))
			for i := 0; i < 60; i++ {
				w.randomChange(ctx, r)
			}
			for _, src := range []allot.EntitlementSource{db, joinOnly{db}} {
				ix := index.New(db.Catalog(), src)
				must(t, ix.Load(ctx))
				if got, want := ix.Users(), len(w.users); got != want {
					t.Errorf("%T: Users() = %d, want %d", src, got, want)
				}
				w.compare(ctx, t, ix, fmt.Sprintf("loaded from %T", src))
			}
			ix := index.New(db.Catalog(), db)
			must(t, ix.Load(ctx))
			var reqs []allot.CheckRequest
			for _, u := range w.users {
				for _, key := range []string{u.ID, strings.ToUpper(u.ID), strings.ToUpper(u.UserPrincipalName), " nobody@x.example"} {
					for _, p := range []string{exch2, teams, intune, notAPlan} {
						reqs = append(reqs, allot.CheckRequest{User: key, ServicePlan: p})
					}
				}
			}
			want, err := ix.Check(ctx, w.p, reqs)
			must(t, err)
			got, err := db.Check(ctx, w.p, reqs)
			must(t, err)
			for i := range reqs {
				if got[i] != want[i] {
					t.Errorf("check %+v from SQL -index +SQL\n-%+v\n+%+v", reqs[i], want[i], got[i])
				}
			}
		})
	}
}

// openEngine opens an empty store on SQLite in a temporary directory or
// on a PostgreSQL server started for the test.
func openEngine(t *testing.T, engine string) *sqlstore.DB {
	t.Helper()
	if engine == "sqlite" {
		return openSQLite(t)
	}
	if _, err := pglocal.BinDir(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("SKIPPING PostgreSQL test: %v", err)
	}
	ctx := context.Background()
	srv, err := pglocal.Start(ctx, pglocal.Options{})
	must(t, err)
	t.Cleanup(func() { srv.Stop() })
	url, err := srv.CreateDatabase(ctx, "allot")
	must(t, err)
	db, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
