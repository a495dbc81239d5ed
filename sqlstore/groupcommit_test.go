package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/allot-project/allot"
)

// TestGroupCommit holds the committer on a first write while others queue,
// then checks they commit together, each with its own outcome.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "allot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn := &allot.Tenant{Name: "G", Domain: "g.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tn.ID, "t")
	if err := db.CreateUser(ctx, p, &allot.User{UserPrincipalName: "taken@g.example", DisplayName: "T"}); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	blocked := make(chan struct{})
	go db.update(ctx, func(tx *Tx) error {
		close(blocked)
		<-release
		return nil
	})
	<-blocked
	commits, writes := db.WriteStats()

	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			upn := fmt.Sprintf("u%d@g.example", i)
			if i%4 == 3 {
				upn = "taken@g.example" // a duplicate: refused alone
			}
			errs[i] = db.CreateUser(ctx, p, &allot.User{UserPrincipalName: upn, DisplayName: "U", AccountEnabled: true})
		}()
	}
	for len(db.group.queue) < n {
		runtime.Gosched() // until all writes are queued behind the blocked one
	}
	close(release)
	wg.Wait()
	failed := 0
	for i, err := range errs {
		switch {
		case i%4 == 3 && allot.ErrorCode(err) != allot.ECONFLICT:
			t.Errorf("duplicate %d: %v, want conflict", i, err)
		case i%4 == 3:
			failed++
		case err != nil:
			t.Errorf("write %d: %v", i, err)
		}
	}
	c2, w2 := db.WriteStats()
	if c2-commits != 2 || w2-writes != int64(1+n-failed) {
		t.Errorf("group commit: %d commits for %d writes, want 2 commits for %d", c2-commits, w2-writes, 1+n-failed)
	}
	got, err := db.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil || got != 1+n-failed {
		t.Errorf("users = %d (%v), want %d", got, err, 1+n-failed)
	}
}
