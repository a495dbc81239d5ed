package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// TestReadPoolPrepares checks that the read pool's statements get
// prepared in the background and then used, that reads answer the same
// before and after, and that a pool of one connection, held by the
// reading transaction itself, never waits for its preparation.
func TestReadPoolPrepares(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "allot.db"), Options{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn := &allot.Tenant{Name: "P", Domain: "p.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tn.ID, "t")
	u := &allot.User{UserPrincipalName: "ann@p.example", DisplayName: "Ann"}
	if err := db.CreateUser(ctx, p, u); err != nil {
		t.Fatal(err)
	}
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
