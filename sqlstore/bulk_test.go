package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// TestBulkUserQueryPlan asks SQLite how it runs the query that reads a
// chunk of a bulk change's users: through the index on the column the
// users are named by, never a walk of the tenant's users, with or without
// the statistics that Import's sampled ANALYZE leaves on a large tenant
// (which put a tenant at 1 001 users, so that a walk of the tenant in id
// order looks cheaper than 500 lookups and a sort).
func TestBulkUserQueryPlan(t *testing.T) {
	tests := []struct {
		name  string
		byUPN bool
		stats bool // statistics as Import's ANALYZE leaves them on 100 000 users
		want  []string
	}{
		{"by id", false, false, []string{"SEARCH u USING INDEX sqlite_autoindex_users_1 (tenant_id=? AND user_id=?)"}},
		{"by UPN", true, false, []string{"SEARCH u USING INDEX users_upn (tenant_id=? AND upn_lower=?)"}},
		{"by id, analyzed", false, true, []string{"SEARCH u USING INDEX sqlite_autoindex_users_1 (tenant_id=? AND user_id=?)"}},
		{"by UPN, analyzed", true, true, []string{"SEARCH u USING INDEX users_upn (tenant_id=? AND upn_lower=?)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "allot.db")
			db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if tt.stats {
				sqliteExec(t, path, `ANALYZE`, `INSERT INTO sqlite_stat1 VALUES
					('users', 'sqlite_autoindex_users_1', '100000 1001 1'),
					('users', 'users_upn', '100000 1001 1'),
					('users', 'users_name', '100000 1001 1001')`)
			}
			args := []any{"t"}
			for i := range bulkChunk {
				args = append(args, fmt.Sprintf("u%d@bulk.example", i))
			}
			got := sqlitePlan(t, path, db.BulkUserQuery(tt.byUPN, bulkChunk), args...)
			for i, step := range got {
				// users_upn_order (tenant_id, upn_lower, user_id), which
				// pages the users by name, serves the lookup as well.
				got[i] = strings.Replace(step, "INDEX users_upn_order (", "INDEX users_upn (", 1)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("query plan (-want +got):\n-%q\n+%q", tt.want, got)
			}
		})
	}
}

// bulkChunk is the most users one statement of a bulk change reads.
const bulkChunk = 500

// sqliteExec runs statements on a connection of its own to the SQLite
// file at path.
func sqliteExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// planDB opens a migrated SQLite database in a temporary directory, closed
// when the test ends, for tests of query plans; with stats, it runs
// ANALYZE and then those statements, which set the statistics of a large
// tenant. It returns the database and its file's path.
func planDB(t *testing.T, stats ...string) (*sqlstore.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "allot.db")
	db, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if len(stats) > 0 {
		sqliteExec(t, path, append([]string{`ANALYZE`}, stats...)...)
	}
	return db, path
}

// sqlitePlan returns the steps of SQLite's plan for query, read on a
// connection of its own (which loads the statistics afresh).
func sqlitePlan(t *testing.T, path, query string, args ...any) []string {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}

// bulkOutcome is what a caller of a bulk change sees of one user's result.
type bulkOutcome struct {
	User, UserID string
	Changed      bool
	Code         string
}

// TestBulkByUPNAnyCase names the users of a bulk change by their
// userPrincipalNames in any case, with blanks around them, or by their ids
// in upper case, over several chunks, and checks that each is found,
// reported at its place and changed once, on both engines.
func TestBulkByUPNAnyCase(t *testing.T) {
	set := benchBulkSet(1203)
	var keys []string
	var want []bulkOutcome
	for i, u := range set.Users {
		key := []string{strings.ToUpper(u.UserPrincipalName), strings.ToLower(u.UserPrincipalName),
			" " + u.UserPrincipalName + "\t", strings.ToUpper(u.ID)}[i%4]
		keys = append(keys, key)
		want = append(want, bulkOutcome{key, u.ID, i%2 == 1, ""})
	}
	keys = append(keys, "Nobody@Bulk.example")
	want = append(want, bulkOutcome{"Nobody@Bulk.example", "", false, allot.ENOTFOUND})
	onBulkSet(t, len(set.Users), nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		p := allot.SystemPrincipal(benchTenant, "test")
		res, err := db.AssignLicensesBulk(ctx, p, allot.BulkLicenseChange{Users: keys, SkipUnchanged: true,
			Change: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}}})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]bulkOutcome, len(res))
		for i, r := range res {
			got[i] = bulkOutcome{r.User, r.UserID, r.Changed, allot.ErrorCode(r.Err)}
		}
		diffOutcomes(t, want, got)
		sku, err := db.FindSubscribedSKU(ctx, p, benchE3)
		if err != nil || sku.Consumed != len(set.Users) {
			t.Errorf("E3 after the bulk change: %+v, %v; want %d seats consumed", sku, err, len(set.Users))
		}
	})
}

// onBulkSet runs fn on both engines, in parallel, each on a store holding
// benchBulkSet(n) changed by edit (when not nil): Import normalizes the
// set it is given, so each engine imports its own.
func onBulkSet(t *testing.T, n int, edit func(*sqlstore.ImportSet), fn func(t *testing.T, db *sqlstore.DB)) {
	for _, engine := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "allot.db") }},
		{"postgres", postgresURL},
	} {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, engine.dsn(t), sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			set := benchBulkSet(n)
			if edit != nil {
				edit(&set)
			}
			if err := db.Import(ctx, set); err != nil {
				t.Fatal(err)
			}
			fn(t, db)
		})
	}
}

// diffOutcomes reports the first results that differ from want.
func diffOutcomes(t *testing.T, want, got []bulkOutcome) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	var d []string
	for i := range want {
		if got[i] != want[i] && len(d) < 10 {
			d = append(d, fmt.Sprintf("result %d:\n-%+v\n+%+v", i, want[i], got[i]))
		}
	}
	if len(d) > 0 {
		t.Errorf("results (-want +got):\n%s", strings.Join(d, "\n"))
	}
}

// TestBulkSeatsShort adds E3 all or nothing to more users than it has
// seats free, on both engines: the refusal counts every seat the change
// needs before any user is planned, its result names the first user in
// the request's order left without a seat (whom planning would have
// refused), a missing user is still reported as missing, and nothing
// changes.
func TestBulkSeatsShort(t *testing.T) {
	set := benchBulkSet(1203) // even users hold E3, 1,203 seats
	set.Subscriptions[0].Quantity = 1000
	var odd []string
	for i, u := range set.Users {
		if i%2 == 1 {
			odd = append(odd, u.ID)
		}
	}
	type refusal struct {
		Code         string
		Count, Limit int
	}
	tests := []struct {
		name  string
		users []string
		want  refusal
		named string // the user whose result carries the refusal
	}{
		// 602 users hold E3: 398 seats free for 601 users.
		{"every user without E3", odd, refusal{allot.ECOUNTVIOLATION, 601, 398}, odd[398]},
		{"one seat short", odd[:399], refusal{allot.ECOUNTVIOLATION, 399, 398}, odd[398]},
		{"a missing user first", append([]string{"nobody@bulk.example"}, odd...), refusal{allot.ENOTFOUND, 0, 0}, "nobody@bulk.example"},
		// Last, as it changes the tenant.
		{"users with E3 take no seat", append(odd[:398:398], set.Users[0].ID, set.Users[2].ID), refusal{"", 0, 0}, ""},
	}
	onBulkSet(t, 1203, func(s *sqlstore.ImportSet) { s.Subscriptions[0].Quantity = 1000 }, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		p := allot.SystemPrincipal(benchTenant, "test")
		for _, tt := range tests {
			results, err := db.AssignLicensesBulk(ctx, p, allot.BulkLicenseChange{Users: tt.users, AllOrNothing: true,
				Change: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}}})
			var got refusal
			var e *allot.Error
			if errors.As(err, &e) {
				got = refusal{e.Code, e.Count, e.Limit}
			} else if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got != tt.want {
				t.Errorf("%s: refusal (-want +got):\n-%+v\n+%+v", tt.name, tt.want, got)
			}
			named := ""
			for _, r := range results {
				if r.Err != nil {
					named = r.User
					break
				}
			}
			if named != tt.named {
				t.Errorf("%s: the refused user -want +got:\n-%q\n+%q", tt.name, tt.named, named)
			}
			want := 602
			if tt.want.Code == "" {
				want += 398
			}
			sku, err := db.FindSubscribedSKU(ctx, p, benchE3)
			if err != nil || sku.Consumed != want {
				t.Errorf("%s: E3 after the bulk change: %+v, %v; want %d seats consumed", tt.name, sku, err, want)
			}
		}
	})
}

// TestUserDataUpdatePlan asks SQLite how it runs the UPDATE … FROM
// (VALUES …) that rewrites a chunk of a bulk change's data rows, and the
// UPDATE … WHERE user_id IN (…) that rewrites a group of them: each row
// looked up by its primary key, never a walk of the tenant's rows, with or
// without statistics on a large tenant.
func TestUserDataUpdatePlan(t *testing.T) {
	for _, stats := range []bool{false, true} {
		t.Run(fmt.Sprint("analyzed=", stats), func(t *testing.T) {
			var large []string
			if stats {
				large = []string{`INSERT INTO sqlite_stat1 VALUES ('user_data', 'sqlite_autoindex_user_data_1', '100000 1001 1'),
					('user_data', 'user_data_due', '50000 1')`}
			}
			db, path := planDB(t, large...)
			var args []any
			for i := range bulkChunk {
				args = append(args, fmt.Sprintf("u%d", i), "u@bulk.example", "active", 0, 0, 0, "active", 0, 0, "", "", nil)
			}
			args = append(args, "t")
			got := sqlitePlan(t, path, db.UserDataUpdate(bulkChunk), args...)
			want := []string{"SCAN 500-ROW VALUES CLAUSE", "SEARCH user_data USING PRIMARY KEY (tenant_id=? AND user_id=?)"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("query plan (-want +got):\n-%q\n+%q", want, got)
			}
			args = []any{"disconnected", 1, "t"}
			for i := range bulkChunk {
				args = append(args, fmt.Sprintf("u%d", i))
			}
			got = sqlitePlan(t, path, db.DataGroupUpdate(bulkChunk), args...)
			want = []string{"SEARCH user_data USING PRIMARY KEY (tenant_id=? AND user_id=?)"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("query plan of a group's update (-want +got):\n-%q\n+%q", want, got)
			}
		})
	}
}

// TestBulkProgress records the reports of a bulk change's progress, on
// both engines: the planning advances by chunks, then every step of the
// writing is reported, so that Done reaches Work (the users plus four
// steps for each changed user) only at the end, and neither Done nor the
// percentage ever falls. A dry run writes nothing: its work is the
// planning. An import's writing counts one step for each user created,
// reported by 500.
func TestBulkProgress(t *testing.T) {
	set := benchBulkSet(1203) // even users hold E3: 601 change
	keys := make([]string, len(set.Users))
	for i, u := range set.Users {
		keys[i] = u.ID
	}
	tests := []struct {
		name string
		dry  bool
		work int
	}{
		{"dry run", true, 1203},
		{"writes", false, 1203 + 4*601},
	}
	onBulkSet(t, len(set.Users), nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		p := allot.SystemPrincipal(benchTenant, "test")
		for _, tt := range tests {
			var got []allot.Progress
			_, err := db.AssignLicensesBulk(ctx, p, allot.BulkLicenseChange{Users: keys, SkipUnchanged: true, DryRun: tt.dry,
				Change:   allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: benchE3}}},
				Progress: func(pr allot.Progress) { got = append(got, pr) }})
			if err != nil {
				t.Fatal(err)
			}
			checkProgress(t, tt.name, got, len(keys), tt.work, min(tt.work-len(keys), 3))
		}
		rows := make([]allot.ImportRow, 1200)
		for i := range rows {
			rows[i] = allot.ImportRow{Line: i + 2, UserPrincipalName: fmt.Sprintf("new%d@bulk.example", i), DisplayName: "New", UsageLocation: "US", AccountEnabled: true}
		}
		var got []allot.Progress
		res, err := db.ImportUsers(ctx, p, rows, allot.ImportOptions{Progress: func(pr allot.Progress) { got = append(got, pr) }})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil || r.Action != allot.ImportCreate {
				t.Fatalf("import line %d: %s, %v", r.Line, r.Action, r.Err)
			}
		}
		checkProgress(t, "import", got, len(rows), 2*len(rows), 2) // at 500 and 1,000 created
	})
}

// checkProgress checks the reports of a change of total users whose work
// is work, with at least writes reports during the writing.
func checkProgress(t *testing.T, name string, got []allot.Progress, total, work, writes int) {
	t.Helper()
	if len(got) == 0 {
		t.Fatalf("%s: no progress reported", name)
	}
	if first := got[0]; first != (allot.Progress{Total: total, Work: first.Work}) || first.Work < work {
		t.Errorf("%s: first report %+v, want nothing done of %d users and at least %d of work", name, first, total, work)
	}
	if last := got[len(got)-1]; last != (allot.Progress{Planned: total, Total: total, Done: work, Work: work}) {
		t.Errorf("%s: last report -want +got\n-%+v\n+%+v", name, allot.Progress{Planned: total, Total: total, Done: work, Work: work}, last)
	}
	planning, writing := 0, 0
	for i, pr := range got {
		if pr.Planned > 0 && pr.Planned < total {
			planning++
		}
		if pr.Planned == total && pr.Done > total && pr.Done < pr.Work {
			writing++
		}
		if i > 0 && (pr.Planned < got[i-1].Planned || pr.Done < got[i-1].Done || pr.Percent() < got[i-1].Percent()) {
			t.Errorf("%s: report %d fell back: %+v after %+v", name, i, pr, got[i-1])
		}
	}
	if planning < 2 {
		t.Errorf("%s: %d reports during the planning of %d users, want one per 500", name, planning, total)
	}
	if writing < writes {
		t.Errorf("%s: %d reports during the writing, want at least %d", name, writing, writes)
	}
}
