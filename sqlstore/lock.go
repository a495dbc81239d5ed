package sqlstore

import (
	"context"
	"hash/fnv"
)

// Lock names of the timed steps that take a lock (see package lifecycle).
const (
	lockPurgeDeletedUsers = "purge-deleted-users"
)

// tryLock takes the lock called name for the rest of the transaction and
// reports whether it got it, without waiting: false means another
// transaction, in this process or another, holds it now. On PostgreSQL the
// lock is a transaction-scoped advisory lock, released by the commit or
// rollback; on SQLite the single writer already serialises write
// transactions, so it is always granted.
func (tx *Tx) tryLock(ctx context.Context, name string) (bool, error) {
	if tx.db.d.name != "postgres" {
		return true, nil
	}
	var ok bool
	err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, lockKey(name)).Scan(&ok)
	return ok, err
}

// lockKey maps a lock name to PostgreSQL's 64-bit advisory lock key. The
// "allot:" prefix keeps allot's keys apart from those of other programs
// sharing the database, with the odds of a 64-bit hash collision.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("allot:" + name))
	return int64(h.Sum64())
}
