package sqlstore

import (
	"context"
	"runtime"
	"sync"
)

// SnapshotPlans returns how many bulk changes were planned from the
// snapshot (PlanFrom), and how many of them were planned again from SQL
// because a user's version proved the snapshot stale.
func (db *DB) SnapshotPlans() (planned, stale int64) {
	return db.snapshotPlans.Load(), db.snapshotStale.Load()
}

// Grouped runs first and then second in one transaction of the group
// committer, which it holds until both are queued in that order, and
// returns how many transactions committed meanwhile (2 when they were
// grouped: the holder's and theirs).
func (db *DB) Grouped(first, second func()) int64 {
	release, blocked := make(chan struct{}), make(chan struct{})
	held := make(chan struct{})
	go func() {
		defer close(held)
		db.update(context.Background(), func(tx *Tx) error {
			close(blocked)
			<-release
			return nil
		})
	}()
	<-blocked
	commits, _ := db.WriteStats()
	var wg sync.WaitGroup
	for i, fn := range []func(){first, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
		for len(db.group.queue) < i+1 {
			runtime.Gosched()
		}
	}
	close(release)
	wg.Wait()
	<-held
	c, _ := db.WriteStats()
	return c - commits
}
