package sqlstore

import (
	"context"
	"database/sql"
	"hash/maphash"
	"runtime"
	"sync"
	"time"
)

// querier is what a transaction body runs statements on: a *sql.Tx, or the
// group committer's connection inside its own BEGIN … COMMIT.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtCache keeps the statements of SQLite's writer connection prepared:
// the driver would otherwise compile each statement anew on every call,
// which costs more than running it. PostgreSQL needs none (pgx caches
// prepared statements per connection); SQLite's read pool has its own
// (poolStmts).
//
// Long statements (multi-row INSERTs, IN lists) have a tier of their own:
// their text varies with their size, but a bulk change runs the same text
// for every full chunk of bulkChunk rows, and compiling a 500-row
// statement anew each time was 8 % of a 100 000-user bulk change
// (docs/performance.md). A long statement is prepared the second time it
// is seen, so that the one-off sizes (a last chunk) are never kept, and at
// most maxLongStmts are kept.
type stmtCache struct {
	prepare func(ctx context.Context, query string) (*sql.Stmt, error)

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	long  map[string]*sql.Stmt
	seen  seenOnce
}

const (
	maxCachedQuery = 1500 // bytes
	maxCachedStmts = 512
	maxLongStmts   = 16
	maxSeenLong    = 256
)

func newStmtCache(prepare func(ctx context.Context, query string) (*sql.Stmt, error)) *stmtCache {
	return &stmtCache{prepare: prepare, stmts: map[string]*sql.Stmt{}, long: map[string]*sql.Stmt{}, seen: newSeenOnce()}
}

// seenOnce remembers the long statements seen once (by hash, at most
// maxSeenLong of them), so that a cache keeps one only the second time.
type seenOnce struct {
	seed   maphash.Seed
	hashes map[uint64]bool
}

func newSeenOnce() seenOnce { return seenOnce{seed: maphash.MakeSeed(), hashes: map[uint64]bool{}} }

// again records query and reports whether it was seen before.
func (s seenOnce) again(query string) bool {
	h := maphash.String(s.seed, query)
	if s.hashes[h] {
		return true
	}
	if len(s.hashes) >= maxSeenLong {
		clear(s.hashes)
	}
	s.hashes[h] = true
	return false
}

// get returns the prepared statement of query, or nil when it is not
// cached (too long, cache full, or the preparation failed: the caller then
// runs the query unprepared and meets the same error there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(query) > maxCachedQuery {
		return c.getLong(ctx, query)
	}
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = st
	return st
}

// getLong is get for a long query, c.mu held.
func (c *stmtCache) getLong(ctx context.Context, query string) *sql.Stmt {
	if st, ok := c.long[query]; ok {
		return st
	}
	if !c.seen.again(query) {
		return nil
	}
	if len(c.long) >= maxLongStmts {
		for q, st := range c.long { // any one: a statement still running finishes first (database/sql)
			st.Close()
			delete(c.long, q)
			break
		}
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil
	}
	c.long[query] = st
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]*sql.Stmt{c.stmts, c.long} {
		for q, st := range m {
			st.Close()
			delete(m, q)
		}
	}
}

// poolStmts keeps the statements of SQLite's read pool prepared on each
// of its connections, so that reads (a user, its licenses, the
// subscribedSkus) skip compiling their SQL, which was a quarter of a
// licenseDetails request's CPU.
//
// A statement is prepared on the pool in the background the first time it
// is seen, and run unprepared meanwhile: preparing on the pool from within
// a read transaction could wait for a connection that the pool's own
// readers hold. Once prepared, a transaction runs it through
// sql.Tx.StmtContext, which prepares it once on each connection and keeps
// it there.
//
// Long statements are prepared the second time they are seen, as the
// writer's are (stmtCache), at most maxLongStmts of them, and never
// closed before the database is: a reader may be about to run one. They
// are the reads beside a bulk change (dataPrefetch), the same IN list of
// bulkChunk users for every full chunk, which compiled anew each time
// took 0.14 s of W5's reader (docs/performance.md, wave 15).
type poolStmts struct {
	pool   *sql.DB
	ctx    context.Context // ends when the database closes
	cancel context.CancelFunc
	stmts  sync.Map // query → *sql.Stmt; nil while being prepared or when it failed
	mu     sync.Mutex
	n      int // entries in stmts
	long   int // of them, long statements
	seen   seenOnce
	closed bool
	wg     sync.WaitGroup // background preparations
}

func newPoolStmts(pool *sql.DB) *poolStmts {
	ctx, cancel := context.WithCancel(context.Background())
	return &poolStmts{pool: pool, ctx: ctx, cancel: cancel, seen: newSeenOnce()}
}

// get returns the pool's prepared statement of query, or nil when there is
// none yet: too many, a long one seen once, failed, or just now being
// prepared.
func (p *poolStmts) get(query string) *sql.Stmt {
	if p == nil {
		return nil
	}
	if v, ok := p.stmts.Load(query); ok {
		return v.(*sql.Stmt)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.stmts.Load(query); ok || p.closed || p.n >= maxCachedStmts {
		return nil
	}
	if len(query) > maxCachedQuery {
		if p.long >= maxLongStmts || !p.seen.again(query) {
			return nil
		}
		p.long++
	}
	p.stmts.Store(query, (*sql.Stmt)(nil))
	p.n++
	p.wg.Add(1)
	go p.prepare(query)
	return nil
}

// prepare prepares query on the pool, in the background.
func (p *poolStmts) prepare(query string) {
	defer p.wg.Done()
	st, err := p.pool.PrepareContext(p.ctx, query)
	if err != nil {
		return // stays nil: run unprepared, where the caller meets the error
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		st.Close()
		return
	}
	p.stmts.Store(query, st)
}

// close stops the preparations and closes the statements.
func (p *poolStmts) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	p.stmts.Range(func(_, v any) bool {
		if st := v.(*sql.Stmt); st != nil {
			st.Close()
		}
		return true
	})
}

// prepared returns the statement to run query with in the transaction, or
// nil to run it unprepared.
func (tx *Tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if tx.stmts != nil {
		return tx.stmts.get(ctx, query)
	}
	if tx.sqlTx != nil {
		if st := tx.db.readStmts.get(query); st != nil {
			return tx.sqlTx.StmtContext(ctx, st)
		}
	}
	return nil
}

// yield lets the other goroutines run once a millisecond of the
// transaction has passed since it last did. A write transaction may keep a
// core busy for seconds (a 100 000-user bulk change), and Go preempts a
// running goroutine only about every 10 ms: the license checks answered
// meanwhile, a few microseconds of work each, queued behind it (W5's
// checks, docs/performance.md). Statements call it, and so do the loops
// that scan many rows. A write still running after longTx becomes long
// work (DB.OnLongWork) until it ends, and so does the read beside a bulk
// change (Tx.lends).
func (tx *Tx) yield() {
	now := time.Now()
	if now.Sub(tx.yielded) < time.Millisecond {
		return
	}
	if tx.lends && tx.doneLong == nil && tx.db.longWork != nil && now.Sub(tx.began) >= longTx {
		tx.doneLong = tx.db.longWork()
	}
	runtime.Gosched()
	tx.yielded = now
}

// longTx is how long a transaction runs before it counts as long work. A
// license assignment takes about 0.1 ms; a bulk change of 100 000 users,
// seconds.
const longTx = 2 * time.Millisecond

// end ends the long work the transaction became, if it did.
func (tx *Tx) end() {
	if tx.doneLong != nil {
		tx.doneLong()
		tx.doneLong = nil
	}
}

// OnLongWork registers fn to be called when a write transaction has kept
// its goroutine busy for a while (a bulk change, an import, the
// lifecycle's catching up), or the read beside a bulk change has, and the
// done it returns when that transaction ends. Other reads, the index's
// load of every user among them, do not count. allot serve lends the Go
// scheduler a processor meanwhile (cmd/internal/server). Register it before
// the database is used concurrently.
func (db *DB) OnLongWork(fn func() (done func())) {
	db.longWork = fn
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx.yield()
	if st := tx.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.q.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx.yield()
	if st := tx.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.q.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	tx.yield()
	if st := tx.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.q.QueryRowContext(ctx, query, args...)
}

// queryRead runs one read-only statement that reads one user (userread.go)
// on the read pool with no explicit transaction around it (a single
// statement sees one snapshot), prepared on SQLite's pool once it is.
//
// The statement runs without ctx's cancellation, once ctx is checked: a
// read of one user by key takes microseconds, and a cancellable context
// costs each statement two goroutines (database/sql's and the driver's,
// which watch it to interrupt the statement) and the driver's progress
// handler set and cleared: a tenth of a GET /users/{id} (W12).
func (db *DB) queryRead(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	if st := db.readStmts.get(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, query, args...)
}

// keyArgs returns the arguments of a statement on the tenant ($1) and the
// keys ($2 on, as placeholders(2, len(keys)) numbers them).
func keyArgs(tenantID string, keys []string) []any {
	args := make([]any, 0, 1+len(keys))
	args = append(args, tenantID)
	for _, k := range keys {
		args = append(args, k)
	}
	return args
}
