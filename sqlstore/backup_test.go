package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

// TestBackupWhileWriting backs the database up while a writer creates
// users, restores the copy and checks it: every user created before the
// backup began is there, none is half-written (Doctor finds nothing), and
// the copy opens and serves as a database of its own.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "allot.db"), sqlstore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tenant, err := demo.Seed(ctx, db, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tenant.ID, "test")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the writer: users with a license each, until stopped
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			u := &allot.User{UserPrincipalName: fmt.Sprintf("w%d@%s", i, tenant.Domain), DisplayName: "W", UsageLocation: "US", AccountEnabled: true}
			if err := db.CreateUser(ctx, p, u); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	before, err := db.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	err = db.Backup(ctx, backup)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, backup); allot.ErrorCode(err) != allot.EINVALID {
		t.Errorf("a backup over an existing file: %v, want EINVALID", err)
	}

	restored := filepath.Join(dir, "restored.db")
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rdb, err := sqlstore.Open(ctx, restored, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	got, err := rdb.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := db.CountUsers(ctx, p, allot.UserFilter{})
	if got < before || got > after {
		t.Errorf("users in the backup = %d, want between %d (before it) and %d (after it)", got, before, after)
	}
	if problems, err := rdb.Doctor(ctx); err != nil || len(problems) > 0 {
		t.Errorf("doctor on the restored copy: %v, %v", problems, err)
	}
	u := &allot.User{UserPrincipalName: "restored@" + tenant.Domain, DisplayName: "R", UsageLocation: "US", AccountEnabled: true}
	if err := rdb.CreateUser(ctx, p, u); err != nil {
		t.Errorf("writing to the restored copy: %v", err)
	}
}
