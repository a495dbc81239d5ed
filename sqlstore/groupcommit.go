package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/allot-project/allot"
)

// committer is SQLite's group commit: one goroutine owns the writer
// connection and runs every queued write of the moment in one transaction,
// each inside its own savepoint but the first, then commits them with one
// fsync. A write that fails rolls back to its savepoint and gets its own
// error; the others commit. Each caller still sees an all-or-nothing
// result of its own.
//
// The first write runs without a savepoint, and one that fails rolls the
// whole transaction back and begins it again: inside a savepoint SQLite
// copies every page a write changes to a temporary file before it changes
// it, so that it can roll back to the savepoint: for a bulk change of
// 100,000 users, alone in its transaction, 90 to 120 MB of the 300 to 440
// MB it wrote, and 3 % of its CPU (docs/performance.md, wave 17).
type committer struct {
	db    *DB
	conn  *sql.Conn // the writer connection, held for good
	stmts *stmtCache
	queue chan *writeRequest
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once

	commits, writes atomic.Int64 // for WriteStats
	// due wakes the checkpoints once a commit is published; checkpointed
	// counts them (for tests).
	due          chan struct{}
	checkpointed atomic.Int64
}

// writeRequest is one caller's transaction body waiting for the committer.
type writeRequest struct {
	ctx     context.Context
	fn      func(tx *Tx) error
	changes map[string]*allot.Change
	err     error
	result  chan struct{}
}

// maxGroup bounds the writes committed together, so that one slow batch
// does not delay the first caller for long.
const maxGroup = 256

func newCommitter(ctx context.Context, db *DB) (*committer, error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// Checkpoints run beside the writer (checkpoints), not in its commits.
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		conn.Close()
		return nil, err
	}
	c := &committer{db: db, conn: conn, queue: make(chan *writeRequest, maxGroup), stop: make(chan struct{}), due: make(chan struct{}, 1)}
	c.stmts = newStmtCache(conn.PrepareContext)
	c.done.Add(2)
	go c.loop()
	go c.checkpoints()
	return c, nil
}

// checkpoint asks for a checkpoint (checkpoints) once a commit's changes
// are published: the caches learn them first, the license checks answer
// them sooner, and the checkpoint, 0.1 s of a core after a bulk change,
// does not compete with the index's update for the second core.
func (c *committer) checkpoint() {
	select {
	case c.due <- struct{}{}:
	default: // one is due already
	}
}

// checkpoints copies the WAL's frames into the database file after
// commits, on a reader connection (a checkpoint needs no write lock), at
// most once every checkpointEvery. SQLite's automatic checkpoint ran in
// the commit that took the WAL past 1,000 pages, on the writer that every
// write waits for: about half the CPU of a bulk change's 0.2-0.3 s
// commit, copying its 200-300 MB of pages (docs/performance.md, wave 17).
// A checkpoint that fails, or that readers hold back, is tried again
// after the next commit; its error is dropped, as SQLite's automatic
// checkpoint drops it.
func (c *committer) checkpoints() {
	defer c.done.Done()
	var last time.Time
	for {
		select {
		case <-c.due:
		case <-c.stop:
			return
		}
		if wait := checkpointEvery - time.Since(last); wait > 0 {
			select {
			case <-time.After(wait):
			case <-c.stop:
				return
			}
		}
		last = time.Now()
		region := trace.StartRegion(context.Background(), "sqlstore.checkpoint")
		c.db.read.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		region.End()
		c.checkpointed.Add(1)
	}
}

// checkpointEvery is the least time between two checkpoints: under many
// small commits they come about as often as SQLite's every 1,000 pages.
const checkpointEvery = 50 * time.Millisecond

// submit queues fn and waits for the group holding it to commit.
func (c *committer) submit(ctx context.Context, fn func(tx *Tx) error) (map[string]*allot.Change, error) {
	r := &writeRequest{ctx: ctx, fn: fn, result: make(chan struct{})}
	select {
	case c.queue <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.stop:
		return nil, fmt.Errorf("database is closed")
	}
	<-r.result // the committer always answers, even once ctx is done
	return r.changes, r.err
}

func (c *committer) loop() {
	defer c.done.Done()
	for {
		var first *writeRequest
		select {
		case first = <-c.queue:
		case <-c.stop:
			return
		}
		group := []*writeRequest{first}
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-c.queue:
				group = append(group, r)
			default:
				break drain
			}
		}
		c.commit(group)
	}
}

// commit runs a group in one transaction and answers every request.
func (c *committer) commit(group []*writeRequest) {
	defer func() {
		for _, r := range group {
			close(r.result)
		}
	}()
	bg := context.Background()
	if _, err := c.conn.ExecContext(bg, `BEGIN IMMEDIATE`); err != nil {
		failAll(group, err)
		return
	}
	done := false
	defer func() {
		if !done {
			c.conn.ExecContext(bg, `ROLLBACK`)
		}
	}()
	var ok []*writeRequest
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		tx := &Tx{q: c.conn, stmts: c.stmts, db: c.db, now: c.db.now().UTC(), began: time.Now(), lends: true, pristine: len(ok) == 0}
		err := c.runOne(r, tx)
		tx.end()
		if err != nil {
			failAll(group, err) // the transaction itself is broken
			return
		}
		if r.err == nil {
			r.changes = tx.changes
			ok = append(ok, r)
		}
	}
	region := trace.StartRegion(bg, "sqlstore.commit")
	_, err := c.conn.ExecContext(bg, `COMMIT`)
	region.End()
	if err != nil {
		failAll(ok, err)
		return
	}
	done = true
	c.commits.Add(1)
	c.writes.Add(int64(len(ok)))
}

// WriteStats returns how many transactions the SQLite group committer has
// committed and how many writes they held; zeros on PostgreSQL.
func (db *DB) WriteStats() (commits, writes int64) {
	if db.group == nil {
		return 0, 0
	}
	return db.group.commits.Load(), db.group.writes.Load()
}

// runOne runs one request inside a savepoint, or, when it is the first in
// the transaction (tx.pristine), in the transaction itself, which its
// failure rolls back and begins again. A refusal becomes the request's
// error; only a failure to roll back (or to begin again) is returned.
func (c *committer) runOne(r *writeRequest, tx *Tx) error {
	if tx.pristine {
		if r.err = safely(r.fn, tx); r.err != nil {
			return tx.restart()
		}
		return nil
	}
	if _, err := tx.ExecContext(r.ctx, `SAVEPOINT request`); err != nil {
		r.err = err
		return nil
	}
	if r.err = safely(r.fn, tx); r.err == nil {
		_, r.err = tx.ExecContext(context.Background(), `RELEASE request`)
		if r.err == nil {
			return nil
		}
	}
	if _, err := tx.ExecContext(context.Background(), `ROLLBACK TO request`); err != nil {
		return err
	}
	_, err := tx.ExecContext(context.Background(), `RELEASE request`)
	return err
}

// restart rolls back everything written in the transaction and begins it
// again, for a Tx that runs first in it (pristine), in place of rolling
// back to a savepoint.
func (tx *Tx) restart() error {
	bg := context.Background()
	if _, err := tx.q.ExecContext(bg, `ROLLBACK`); err != nil {
		return err
	}
	_, err := tx.q.ExecContext(bg, `BEGIN IMMEDIATE`)
	return err
}

// safely runs fn, turning a panic into an error so that one bad request
// cannot stop the committer that every writer waits on.
func safely(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write transaction: %v", p)
		}
	}()
	return fn(tx)
}

func failAll(rs []*writeRequest, err error) {
	for _, r := range rs {
		r.err, r.changes = err, nil
	}
}

func (c *committer) close() {
	c.once.Do(func() {
		close(c.stop)
		c.done.Wait()
		c.stmts.close()
		c.conn.Close()
	})
	c.done.Wait()
}
