package server

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

var readsDB = flag.String("readsdb", "", "a SQLite file BenchmarkReadUser reads the largest tenant of; a copy, since the server writes to it (empty: a new 100,000-user tenant)")

// BenchmarkReadUser reads random users of a tenant, without their
// licenses, as GET /users/{id} does: "key" through the store's ReadUser,
// "hint" through the server's reads, which first asks the index for the
// user's row. With -readsdb naming a copy of the 1M-user data set it
// measures W12's users/{id} read at 1M users, on a file larger than the
// readers' page caches:
//
//	cp /tmp/data1m/allot.db /tmp/copy.db
//	go test ./cmd/internal/server -run '^$' -bench BenchmarkReadUser -benchtime 20000x -count 5 -readsdb /tmp/copy.db
func BenchmarkReadUser(b *testing.B) {
	ctx := context.Background()
	path := *readsDB
	if path == "" {
		path = filepath.Join(b.TempDir(), "allot.db")
	}
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if *readsDB == "" {
		if err := db.Import(ctx, benchTenant(100_000)); err != nil {
			b.Fatal(err)
		}
	}
	tenant, ids := largestTenant(b, db)
	s, err := Start(ctx, db, Options{Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := allot.SystemPrincipal(tenant, "bench")
	for _, mode := range []string{"key", "hint"} {
		b.Run(mode, func(b *testing.B) {
			svc := allot.UserReadService(reads{s: s, db: db})
			if mode == "key" {
				svc = db
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				id := ids[rng.IntN(len(ids))]
				if u, err := svc.ReadUser(ctx, p, id, false); err != nil || u.ID != id {
					b.Fatalf("%s: %v, %v", id, u, err)
				}
			}
		})
	}
}

// benchTenant is a tenant of n users with random ids.
func benchTenant(n int) sqlstore.ImportSet {
	rng := rand.New(rand.NewPCG(7, 7))
	set := sqlstore.ImportSet{Tenant: &allot.Tenant{ID: "b0000000-0000-4000-8000-000000000001", Name: "Bench", Domain: "bench.example"}}
	for i := range n {
		var key [16]byte
		for j := range key {
			key[j] = byte(rng.IntN(256))
		}
		set.Users = append(set.Users, &allot.User{ID: allot.GUID(key).String(), UserPrincipalName: fmt.Sprintf("user.%07d@bench.example", i),
			DisplayName: "U", UsageLocation: "FR", AccountEnabled: true})
	}
	return set
}

// largestTenant returns the tenant with the most users not deleted, and
// their ids.
func largestTenant(b *testing.B, db *sqlstore.DB) (string, []string) {
	b.Helper()
	byTenant := map[string][]string{}
	err := db.ScanEntitlementTables(context.Background(), "", func(r *allot.UserRow) error {
		if !r.Deleted {
			byTenant[r.TenantID] = append(byTenant[r.TenantID], r.UserID.String())
		}
		return nil
	}, func(*allot.VersionRow) error { return nil }, func(*allot.MailboxRow) error { return nil }, func(*allot.LicenseRow) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	var tenant string
	for t, ids := range byTenant {
		if len(ids) > len(byTenant[tenant]) {
			tenant = t
		}
	}
	return tenant, byTenant[tenant]
}
