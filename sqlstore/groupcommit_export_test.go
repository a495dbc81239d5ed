package sqlstore

import (
	"context"
	"runtime"
	"sync"
)

// Grouped runs fns in one transaction of the group committer, in their
// order: it holds the committer on a write of its own until each has
// queued its write in turn (each fn is to make one). It returns how many
// transactions committed meanwhile, and how many writes they held: 2 and
// 1+len(fns) when fns were grouped and none refused (the holder's
// transaction and theirs).
func (db *DB) Grouped(fns ...func()) (commits, writes int64) {
	release, blocked, held := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(held)
		db.update(context.Background(), func(tx *Tx) error {
			close(blocked)
			<-release
			return nil
		})
	}()
	<-blocked
	c0, w0 := db.WriteStats()
	var wg sync.WaitGroup
	for i, fn := range fns {
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
	c, w := db.WriteStats()
	return c - c0, w - w0
}
