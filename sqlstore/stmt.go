package sqlstore

import (
	"context"
	"database/sql"
	"sync"
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
// prepared statements per connection); SQLite's read pool has none, since
// preparing on a pool could wait for a connection that its own callers
// hold. Long statements (multi-row INSERTs, IN lists) are not cached:
// their text varies with their size.
type stmtCache struct {
	prepare func(ctx context.Context, query string) (*sql.Stmt, error)

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const (
	maxCachedQuery = 1500 // bytes
	maxCachedStmts = 512
)

func newStmtCache(prepare func(ctx context.Context, query string) (*sql.Stmt, error)) *stmtCache {
	return &stmtCache{prepare: prepare, stmts: map[string]*sql.Stmt{}}
}

// get returns the prepared statement of query, or nil when it is not
// cached (too long, cache full, or the preparation failed: the caller then
// runs the query unprepared and meets the same error there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil || len(query) > maxCachedQuery {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
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

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmts.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.q.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.q.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.q.QueryRowContext(ctx, query, args...)
}
