package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// TestStoreUserDataGroups writes the same data rows on SQLite with
// storeUserData (rows changing alike updated by groups, the others from a
// list of values, new ones inserted) and with the one upsert of engines
// without a statement journal, and compares the tables. The rows change
// in a few common ways, so that groups of every size form, above and
// below minDataGroup, as well as at random.
func TestStoreUserDataGroups(t *testing.T) {
	ctx := context.Background()
	const tenant, n = "t", 3000
	t0 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	times := []time.Time{{}, t0, t0.Add(time.Hour), t0.AddDate(0, 0, 30)}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(ts []time.Time) time.Time { return ts[r.IntN(len(ts))] }
	random := func(d *allot.UserData) {
		d.Mailbox = []allot.MailboxState{allot.MailboxActive, allot.MailboxDisconnected, allot.MailboxInactive}[r.IntN(3)]
		d.MailboxCreatedAt, d.MailboxSince, d.MailboxPurgeAt = pick(times), pick(times), pick(times)
		d.Files = []allot.FilesState{allot.FilesActive, allot.FilesPendingDeletion}[r.IntN(2)]
		d.FilesSince, d.FilesDeleteAt = pick(times), pick(times)
		d.MailboxPlanID, d.FilesPlanID = []string{"", "p1"}[r.IntN(2)], []string{"", "f1"}[r.IntN(2)]
	}
	// The ways rows change alike, as the data rules change them.
	ways := []func(d *allot.UserData){
		func(d *allot.UserData) {
			d.Mailbox, d.MailboxSince, d.MailboxPurgeAt, d.MailboxPlanID = allot.MailboxDisconnected, t0, t0.AddDate(0, 0, 30), "p1"
		},
		func(d *allot.UserData) {
			d.Mailbox, d.MailboxSince, d.MailboxPurgeAt = allot.MailboxActive, t0, time.Time{}
		},
		func(d *allot.UserData) {
			d.Files, d.FilesDeleteAt, d.FilesPlanID = allot.FilesPendingDeletion, t0.AddDate(0, 0, 30), "f1"
		},
		func(d *allot.UserData) { d.UserPrincipalName = strings.ToUpper(d.UserPrincipalName) },
		random,
	}
	var before, after []allot.UserData
	for i := range n {
		d := allot.UserData{TenantID: tenant, UserID: fmt.Sprintf("u%05d", i), UserPrincipalName: fmt.Sprintf("u%d@example.com", i)}
		random(&d)
		if i%10 != 0 { // one in ten has no row yet
			before = append(before, d)
		}
		// The rarer a way, the smaller its groups.
		ways[min(int(r.ExpFloat64()*1.5), len(ways)-1)](&d)
		after = append(after, d)
	}
	rows := make([]dataRow, len(after))
	stored := map[string]dataCells{}
	for _, d := range before {
		stored[d.UserID] = cellsOf(&d)
	}
	groups := map[uint16]int{}
	for i := range after {
		rows[i].UserData = after[i]
		if c, ok := stored[after[i].UserID]; ok {
			a := cellsOf(&after[i])
			rows[i].exists, rows[i].set = true, a.differ(&c)
			groups[rows[i].set]++
		}
	}
	var small, large int
	for _, k := range groups {
		if k < minDataGroup {
			small++
		} else {
			large++
		}
	}
	if small == 0 || large < 3 {
		t.Fatalf("the rows change in %d ways of fewer than %d rows and %d of more: the test needs both", small, minDataGroup, large)
	}

	var tables [2]string
	for i, upsert := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "allot.db")
		db, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = db.update(ctx, func(tx *Tx) error { return tx.writeUserData(ctx, tenant, before) })
		if err != nil {
			t.Fatal(err)
		}
		db.d.statementJournal = !upsert
		if err := db.update(ctx, func(tx *Tx) error { return tx.storeUserData(ctx, tenant, rows) }); err != nil {
			t.Fatal(err)
		}
		db.Close()
		tables[i] = dumpUserData(t, path)
	}
	if tables[0] != tables[1] {
		t.Errorf("user_data written by groups differs from the upsert's:\n%s", firstDiff(tables[1], tables[0]))
	}
}

// dumpUserData reads the user_data table of the SQLite file at path, a
// line a row.
func dumpUserData(t *testing.T, path string) string {
	return dumpQuery(t, path, `SELECT tenant_id, `+userDataColumns+`, due_at FROM user_data ORDER BY tenant_id, user_id`)
}

// dumpQuery runs the queries on the SQLite file at path and returns
// their rows (rowLines).
func dumpQuery(t *testing.T, path string, queries ...string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var b strings.Builder
	for _, q := range queries {
		rowLines(t, &b, raw, q)
	}
	return b.String()
}

// rowLines writes the rows of the query q to b, a line each, their
// values as fmt.Sprintln prints them.
func rowLines(t *testing.T, b *strings.Builder, raw *sql.DB, q string) {
	t.Helper()
	rows, err := raw.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return "-" + w[i] + "\n+" + g[i]
		}
	}
	return fmt.Sprintf("%d lines against %d", len(w), len(g))
}
