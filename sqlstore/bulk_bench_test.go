package sqlstore_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// bulkBenchUsers is the size of BenchmarkBulkDryRun's tenant; every one of
// its users is named by the dry run.
var bulkBenchUsers = flag.Int("bulkusers", 100_000, "users in BenchmarkBulkDryRun's tenant, all named by the dry run")

const (
	benchE3     = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	benchTenant = "b0000000-0000-4000-8000-000000000001"
	benchDomain = "bulk.example"
)

// benchBulkSet is a tenant of n users with random ids (so that their ids
// and userPrincipalNames sort differently, as in a real tenant) and
// mixed-case userPrincipalNames; every other user holds E3.
func benchBulkSet(n int) sqlstore.ImportSet {
	rng := rand.New(rand.NewPCG(13, 13))
	set := sqlstore.ImportSet{
		Tenant: &allot.Tenant{ID: benchTenant, Name: "Bulk", Domain: benchDomain},
		Subscriptions: []*allot.Subscription{{ID: "b0000000-0000-4000-8000-000000000002", SKUID: benchE3,
			Quantity: n, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin}},
	}
	for i := range n {
		var key [16]byte
		for j := range key {
			key[j] = byte(rng.IntN(256))
		}
		u := &allot.User{ID: allot.GUID(key).String(), UserPrincipalName: fmt.Sprintf("User.%07d@%s", i, benchDomain),
			DisplayName: "U", UsageLocation: "FR", AccountEnabled: true}
		if i%2 == 0 {
			u.Licenses = []allot.License{{SKUID: benchE3, DisabledPlans: []string{}}}
		}
		set.Users = append(set.Users, u)
	}
	return set
}

// BenchmarkBulkDryRun times a dry run adding E3 to every user of a large
// imported tenant, the users named by id or by userPrincipalName (in
// upper case, as a CSV might hold them). Each operation is one dry run;
// run it with -benchtime=1x, and -bulkusers to change the size.
func BenchmarkBulkDryRun(b *testing.B) {
	set := benchBulkSet(*bulkBenchUsers)
	ids := make([]string, len(set.Users))
	upns := make([]string, len(set.Users))
	for i, u := range set.Users {
		ids[i], upns[i] = u.ID, strings.ToUpper(u.UserPrincipalName)
	}
	for _, engine := range []struct {
		name, driver, explain string
		dsn                   func(b *testing.B) string
	}{
		{"sqlite", "sqlite", "EXPLAIN QUERY PLAN ", func(b *testing.B) string { return filepath.Join(b.TempDir(), "allot.db") }},
		{"postgres", "pgx", "EXPLAIN ", benchPostgresURL},
	} {
		b.Run(engine.name, func(b *testing.B) {
			dsn := engine.dsn(b)
			db := benchImport(b, dsn, set)
			for _, by := range []struct {
				name string
				keys []string
			}{{"id", ids}, {"upn", upns}} {
				q := engine.explain + db.BulkUserQuery(by.name == "upn", bulkChunk)
				b.Logf("plan by %s:\n%s", by.name, benchPlan(b, engine.driver, dsn, q, by.keys[:bulkChunk]))
				b.Run(by.name, func(b *testing.B) { benchDryRun(b, db, by.keys) })
			}
		})
	}
}

// benchPlan returns the plan the engine chooses for a chunk of keys: the
// last column of its rows, each cut short.
func benchPlan(b *testing.B, driver, dsn, explain string, keys []string) string {
	b.Helper()
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	args := []any{benchTenant}
	for _, k := range keys {
		args = append(args, strings.ToLower(k))
	}
	rows, err := raw.Query(explain, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		line := fmt.Sprint(vals[len(vals)-1])
		out = append(out, line[:min(len(line), 120)]) // not the 500 keys
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// benchPostgresURL returns the URL of a new empty database, or skips.
func benchPostgresURL(b *testing.B) string {
	b.Helper()
	srv, err := postgres()
	if srv == nil {
		b.Skipf("SKIPPING PostgreSQL: %v", err)
	}
	url, err := srv.CreateDatabase(context.Background(), fmt.Sprintf("t%d", pgCount.Add(1)))
	if err != nil {
		b.Fatal(err)
	}
	return url
}

// benchImport opens dsn and imports set into it, reporting how long that
// took.
func benchImport(b *testing.B, dsn string, set sqlstore.ImportSet) *sqlstore.DB {
	b.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	start := time.Now()
	if err := db.Import(ctx, set); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d users imported in %v", len(set.Users), time.Since(start).Round(time.Millisecond))
	return db
}

// benchDryRun runs the dry run b.N times and checks that every user was
// found and half of them would change.
func benchDryRun(b *testing.B, db *sqlstore.DB, keys []string) {
	ctx := context.Background()
	p := allot.SystemPrincipal(benchTenant, "bench")
	ch := allot.BulkLicenseChange{Users: keys, DryRun: true, SkipUnchanged: true,
		Change: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}}}
	for b.Loop() {
		res, err := db.AssignLicensesBulk(ctx, p, ch)
		if err != nil {
			b.Fatal(err)
		}
		changed := 0
		for _, r := range res {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.User, r.Err)
			}
			if r.Changed {
				changed++
			}
		}
		if want := len(keys) / 2; changed != want {
			b.Fatalf("%d users would change, want %d", changed, want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/dryrun")
}

// benchArchive is Exchange Online Archiving, an add-on that depends on
// the Exchange plan of E3: BenchmarkBulkWrite assigns it.
const benchArchive = "ee02fd1b-340e-4a4b-b355-4a514e4c8943"

// benchWriteSet is a tenant of n+1 users with random ids, every one
// holding E3 (whose mailbox makes a removal write data rows), and n seats
// of benchArchive.
func benchWriteSet(n int) sqlstore.ImportSet {
	set := benchBulkSet(n + 1)
	set.Subscriptions[0].Quantity = n + 1
	set.Subscriptions = append(set.Subscriptions, &allot.Subscription{ID: "b0000000-0000-4000-8000-000000000003", SKUID: benchArchive,
		Quantity: n, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin})
	for _, u := range set.Users {
		u.Licenses = []allot.License{{SKUID: benchE3, DisabledPlans: []string{}}}
	}
	return set
}

// BenchmarkBulkWrite times the writes of allot-bench's W5 and W6 at the
// store: one all-or-nothing bulk change removing E3 from every user
// (unassign), adding an add-on to every user (assign), and adding it one
// seat short (refuse), the users named by id. Each operation is one bulk
// change, undone untimed afterwards; run it with -benchtime=1x, and
// -bulkusers to change the size.
func BenchmarkBulkWrite(b *testing.B) {
	n := *bulkBenchUsers
	set := benchWriteSet(n)
	ids := make([]string, n)
	for i, u := range set.Users[:n] {
		ids[i] = u.ID
	}
	extra := set.Users[n].ID
	add := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchArchive}}}
	removeArchive := allot.LicenseChange{Remove: []string{benchArchive}}
	removeE3 := allot.LicenseChange{Remove: []string{benchE3}}
	addE3 := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}}
	for _, engine := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "allot.db") }},
		{"postgres", benchPostgresURL},
	} {
		b.Run(engine.name, func(b *testing.B) {
			db := benchImport(b, engine.dsn(b), set)
			b.Run("unassign", func(b *testing.B) {
				benchWrite(b, db, ids, removeE3, n, "", nil, func() { benchBulk(b, db, ids, addE3, n) })
			})
			b.Run("assign", func(b *testing.B) {
				benchWrite(b, db, ids, add, n, "", nil, func() { benchBulk(b, db, ids, removeArchive, n) })
			})
			b.Run("refuse", func(b *testing.B) {
				benchWrite(b, db, ids, add, 0, allot.ECOUNTVIOLATION,
					func() { benchBulk(b, db, []string{extra}, add, 1) },
					func() { benchBulk(b, db, []string{extra}, removeArchive, 1) })
			})
		})
	}
}

// benchWrite times b.N bulk changes ch of the users ids, each wanting
// changed users (or the error code refuse), with before and after run
// untimed around each.
func benchWrite(b *testing.B, db *sqlstore.DB, ids []string, ch allot.LicenseChange, changed int, refuse string, before, after func()) {
	ctx := context.Background()
	p := allot.SystemPrincipal(benchTenant, "bench")
	var cpu time.Duration
	var written int64
	_, known := benchWritten()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if before != nil {
			before()
		}
		start := benchCPU(b)
		startWritten, _ := benchWritten()
		b.StartTimer()
		res, err := db.AssignLicensesBulk(ctx, p, allot.BulkLicenseChange{Users: ids, Change: ch, AllOrNothing: true})
		b.StopTimer()
		cpu += benchCPU(b) - start
		endWritten, _ := benchWritten()
		written += endWritten - startWritten
		if refuse != "" {
			if allot.ErrorCode(err) != refuse {
				b.Fatalf("error %v, want %s", err, refuse)
			}
		} else if got := benchChanged(b, res, err); got != changed {
			b.Fatalf("%d users changed, want %d", got, changed)
		}
		if after != nil {
			after()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/bulk")
	// On a machine shared with other work the wall time mostly measures
	// the others; the CPU the process used (the bulk change and its
	// garbage collection) does not.
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/bulk")
	// Nor do the bytes the process wrote meanwhile (the WAL, a savepoint's
	// sub-journal, a checkpoint that ran then), where the system counts
	// them.
	if known {
		b.ReportMetric(float64(written)/float64(b.N)/1e6, "MB-written/bulk")
	}
}

// benchWritten returns the bytes the process has written so far (Linux's
// wchar, whatever the file); false where the system does not say.
func benchWritten() (int64, bool) {
	io, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(io)) {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// benchCPU returns the CPU time the process has used so far.
func benchCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBulk makes a bulk change untimed, wanting changed users changed.
func benchBulk(b *testing.B, db *sqlstore.DB, ids []string, ch allot.LicenseChange, changed int) {
	b.Helper()
	res, err := db.AssignLicensesBulk(context.Background(), allot.SystemPrincipal(benchTenant, "bench"),
		allot.BulkLicenseChange{Users: ids, Change: ch, AllOrNothing: true})
	if got := benchChanged(b, res, err); got != changed {
		b.Fatalf("%d users changed, want %d", got, changed)
	}
}

// benchChanged counts the users a bulk change changed, failing on any
// error.
func benchChanged(b *testing.B, res []allot.BulkResult, err error) int {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, r := range res {
		if r.Err != nil {
			b.Fatalf("%s: %v", r.User, r.Err)
		}
		if r.Changed {
			n++
		}
	}
	return n
}
