package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// poolUser opens a database whose read pool has conns connections, with
// a tenant and its user of display name name; p is the tenant's system.
func poolUser(t *testing.T, conns int, name string) (db *DB, p allot.Principal, u *allot.User) {
	t.Helper()
	ctx := context.Background()
	db = openTempWith(t, Options{ReadConns: conns})
	domain := strings.ToLower(name) + ".example"
	tn := &allot.Tenant{Name: name, Domain: domain}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p = allot.SystemPrincipal(tn.ID, "t")
	u = &allot.User{UserPrincipalName: strings.ToLower(name) + "@" + domain, DisplayName: name}
	if err := db.CreateUser(ctx, p, u); err != nil {
		t.Fatal(err)
	}
	return db, p, u
}

// TestReadPoolPrepares checks that the read pool's statements get
// prepared in the background and then used, that reads answer the same
// before and after, and that a pool of one connection, held by the
// reading transaction itself, never waits for its preparation.
func TestReadPoolPrepares(t *testing.T) {
	ctx := context.Background()
	db, p, u := poolUser(t, 1, "Ann")
	const q = `SELECT display_name FROM users WHERE user_id = $1`
	read := func() (name string, prepared bool) {
		t.Helper()
		err := db.view(ctx, func(tx *Tx) error {
			prepared = tx.prepared(ctx, q) != nil
			// A second run in the same transaction, on the one connection.
			if err := tx.QueryRowContext(ctx, q, u.ID).Scan(&name); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, q, u.ID).Scan(&name)
		})
		if err != nil {
			t.Fatal(err)
		}
		return name, prepared
	}
	if name, prepared := read(); name != "Ann" || prepared {
		t.Fatalf("first read: name, prepared -want +got\n-Ann false\n+%q %v", name, prepared)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if v, _ := db.readStmts.stmts.Load(q); v.(*sql.Stmt) != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the statement was never prepared")
		}
	}
	if name, prepared := read(); name != "Ann" || !prepared {
		t.Fatalf("read once prepared: name, prepared -want +got\n-Ann true\n+%q %v", name, prepared)
	}
	got, err := db.FindUser(ctx, p, u.UserPrincipalName)
	if err != nil || got.DisplayName != "Ann" {
		t.Fatalf("FindUser: %v %+v", err, got)
	}
}

// TestReadPoolConcurrent runs the same reads from many goroutines while
// their statements get prepared, and closes the database with
// preparations possibly under way (run with -race).
func TestReadPoolConcurrent(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "allot.db"), Options{ReadConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	tn := &allot.Tenant{Name: "C", Domain: "c.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tn.ID, "t")
	u := &allot.User{UserPrincipalName: "bob@c.example", DisplayName: "Bob"}
	if err := db.CreateUser(ctx, p, u); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				got, err := db.FindUser(ctx, p, u.ID)
				if err != nil || got.UserPrincipalName != u.UserPrincipalName {
					t.Errorf("FindUser: %v %+v", err, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLongStatements checks the writer's tier of long statements: one is
// prepared the second time it is seen and reused after, a size seen once
// never is, at most maxLongStmts stay prepared, and each answers as the
// statement run unprepared would.
func TestLongStatements(t *testing.T) {
	ctx := context.Background()
	raw, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	prepares := 0
	c := newStmtCache(func(ctx context.Context, q string) (*sql.Stmt, error) {
		prepares++
		return raw.PrepareContext(ctx, q)
	})
	defer c.close()
	// long(n) counts n rows of VALUES, a statement longer than
	// maxCachedQuery when n is.
	long := func(n int) string {
		return "SELECT count(*) FROM (VALUES (1)" + strings.Repeat(", (1)", n-1) + ")"
	}
	run := func(q string, want int) {
		t.Helper()
		var got int
		if st := c.get(ctx, q); st != nil {
			err = st.QueryRowContext(ctx).Scan(&got)
		} else {
			err = raw.QueryRowContext(ctx, q).Scan(&got)
		}
		if err != nil || got != want {
			t.Fatalf("%d-row statement: %d, %v; want %d", want, got, err, want)
		}
	}
	n := maxCachedQuery / 5
	if c.get(ctx, long(n)) != nil {
		t.Fatal("a long statement seen once was prepared")
	}
	first := c.get(ctx, long(n))
	if first == nil || prepares != 1 {
		t.Fatalf("seen twice: statement %v after %d preparations, want one prepared once", first, prepares)
	}
	if again := c.get(ctx, long(n)); again != first || prepares != 1 {
		t.Fatalf("seen thrice: prepared again (%d preparations)", prepares)
	}
	run(long(n), n)
	if c.get(ctx, long(n+1)) != nil || prepares != 1 {
		t.Fatal("a size seen once was prepared")
	}
	for i := range 3 * maxLongStmts {
		q := long(n + 2 + i)
		c.get(ctx, q)
		run(q, n+2+i)
		if len(c.long) > maxLongStmts {
			t.Fatalf("%d long statements kept, want at most %d", len(c.long), maxLongStmts)
		}
	}
	if prepares != 1+3*maxLongStmts {
		t.Fatalf("%d preparations, want %d", prepares, 1+3*maxLongStmts)
	}
	if c.get(ctx, "SELECT 1") == nil {
		t.Fatal("a short statement was not prepared")
	}
}

// TestReadPoolPreparesLong checks that a long statement (a bulk change's
// IN list) is prepared on the read pool the second time it is seen, not
// the first, answers as before once prepared, and that no more than
// maxLongStmts long ones are kept.
func TestReadPoolPreparesLong(t *testing.T) {
	ctx := context.Background()
	db, p, u := poolUser(t, 2, "Lea")
	long := func(n int) string { // n ids: the user's, then others
		return `SELECT display_name FROM users WHERE tenant_id = $1 AND user_id IN (` + db.d.placeholders(2, n) + `)`
	}
	args := func(n int) []any {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		}
		ids[0] = u.ID
		return keyArgs(p.TenantID, ids)
	}
	read := func(q string, n int) (name string, prepared bool) {
		t.Helper()
		err := db.view(ctx, func(tx *Tx) error {
			prepared = tx.prepared(ctx, q) != nil
			return tx.QueryRowContext(ctx, q, args(n)...).Scan(&name)
		})
		if err != nil {
			t.Fatal(err)
		}
		return name, prepared
	}
	waitPrepared := func(q string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if v, ok := db.readStmts.stmts.Load(q); ok && v.(*sql.Stmt) != nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the long statement was never prepared")
			}
		}
	}
	q := long(bulkChunk)
	if len(q) <= maxCachedQuery {
		t.Fatalf("the statement of %d ids is %d bytes, not long", bulkChunk, len(q))
	}
	// Seen once (read asks for the statement, then runs it): not kept.
	if err := db.view(ctx, func(tx *Tx) error {
		if tx.prepared(ctx, q) != nil {
			t.Error("a long statement seen once is prepared")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.readStmts.stmts.Load(q); ok {
		t.Fatal("a long statement seen once is being prepared")
	}
	// Seen again by the read: prepared in the background, then used.
	if name, _ := read(q, bulkChunk); name != "Lea" {
		t.Fatalf("read: name %q, want Lea", name)
	}
	waitPrepared(q)
	if name, prepared := read(q, bulkChunk); name != "Lea" || !prepared {
		t.Fatalf("read once prepared: name, prepared -want +got\n-Lea true\n+%q %v", name, prepared)
	}
	// More long statements than are kept, each seen twice.
	for n := bulkChunk + 1; n <= bulkChunk+maxLongStmts+2; n++ {
		read(long(n), n)
		read(long(n), n)
	}
	db.readStmts.wg.Wait()
	kept := 0
	db.readStmts.stmts.Range(func(k, v any) bool {
		if len(k.(string)) > maxCachedQuery && v.(*sql.Stmt) != nil {
			kept++
		}
		return true
	})
	if kept != maxLongStmts {
		t.Errorf("%d long statements kept, want %d", kept, maxLongStmts)
	}
}
