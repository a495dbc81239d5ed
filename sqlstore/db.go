// Package sqlstore stores allot's domain in SQL: embedded SQLite (through
// the pure-Go modernc.org/sqlite driver) or PostgreSQL (through pgx).
//
// The SQL is written once; the few places where the two engines differ
// (opening, pragmas, error codes, audit id allocation, row locks) sit behind
// the dialect type in dialect.go. Every public method is one transaction:
// begin, private helpers taking *Tx, commit. The rules come from package
// allot; this package only loads state, calls them and writes their outcome.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/allot-project/allot"
)

//go:embed migrations
var migrations embed.FS

// Options configures a DB. Zero values get sensible defaults.
type Options struct {
	// Catalog is the product catalog; nil means allot.DemoCatalog().
	Catalog *allot.Catalog
	// Now returns the current time; it is read once per transaction.
	Now func() time.Time
	// Rand supplies randomness for new ids; nil means crypto/rand.
	Rand io.Reader
	// Synchronous is SQLite's synchronous pragma: "FULL" (default; a
	// committed transaction survives a power loss) or "NORMAL" (a power loss
	// may lose the last transactions, never corrupt the database).
	Synchronous string
	// Logf receives diagnostics of background work; nil discards them.
	Logf func(format string, args ...any)
	// ReadConns is the size of the SQLite read pool or of the PostgreSQL
	// pool; 0 means 8 (SQLite) or 16 (PostgreSQL).
	ReadConns int
}

// DB is an open allot database. It implements every service of package
// allot. Safe for concurrent use.
type DB struct {
	write *sql.DB // SQLite: one connection, so writers never contend
	read  *sql.DB // SQLite: a read-only pool; PostgreSQL: same as write
	// readStmts keeps the read pool's statements prepared (SQLite only:
	// pgx prepares every statement on each connection itself).
	readStmts *poolStmts
	d         dialect
	catalog   *allot.Catalog
	now       func() time.Time
	rand      io.Reader
	dsn       string
	origin    string // identifies this process's notifications
	hooks     []func(allot.Change)
	group     *committer // SQLite's group commit; nil on PostgreSQL
	logf      func(format string, args ...any)
	hashing   chan struct{} // password hashing slots (password.go)
	snapshot  Snapshot      // what bulk changes may plan from (snapshot.go); nil: SQL only
	snapshotCounts
	prefetched atomic.Int64 // chunks of data a bulk change's writer took from a reader (dataPrefetch; for tests)
	longWork   func() (done func())
}

// Open opens the database named by dsn: a PostgreSQL URL
// (postgres://… or postgresql://…) or a SQLite file path, migrates it to the
// current schema and refuses to open a schema newer than this binary knows.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db := &DB{catalog: opts.Catalog, now: opts.Now, rand: opts.Rand, dsn: dsn, logf: opts.Logf, hashing: make(chan struct{}, maxHashing)}
	if db.logf == nil {
		db.logf = func(string, ...any) {}
	}
	if db.catalog == nil {
		db.catalog = allot.DemoCatalog()
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.rand == nil {
		db.rand = rand.Reader
	}
	db.d = dialectFor(dsn)
	if err := db.d.open(db, dsn, opts); err != nil {
		return nil, err
	}
	db.origin = db.newID()
	if db.read != db.write {
		db.readStmts = newPoolStmts(db.read)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.d.groupCommit {
		var err error
		if db.group, err = newCommitter(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	db.readStmts.close()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Catalog returns the catalog the database was opened with.
func (db *DB) Catalog() *allot.Catalog { return db.catalog }

// Backend names the storage engine: "sqlite" or "postgres".
func (db *DB) Backend() string { return db.d.name }

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction, and refuses a database whose schema is newer than ours.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/"+db.d.name+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	if have > len(files) {
		return fmt.Errorf("database schema version %d is newer than this allot knows (%d): upgrade allot", have, len(files))
	}
	for i, name := range files {
		if err := db.applyMigration(ctx, i+1, name, have); err != nil {
			return err
		}
	}
	return nil
}

// goMigrations are the steps of migrations that SQL alone cannot do, run
// after the SQL in the same transaction.
var goMigrations = map[int]func(context.Context, *sql.Tx) error{
	17: backfillSeatDays,
}

func (db *DB) applyMigration(ctx context.Context, version int, name string, have int) error {
	if n, err := strconv.Atoi(strings.SplitN(name[strings.LastIndexByte(name, '/')+1:], "_", 2)[0]); err != nil || n != version {
		return fmt.Errorf("migration %s: expected number %04d", name, version)
	}
	if version <= have {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if step := goMigrations[version]; step != nil {
		if err := step(ctx, tx); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, db.now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// Tx is a transaction with the time fixed at its start.
type Tx struct {
	q       querier
	stmts   *stmtCache // nil but in the group committer's transaction
	sqlTx   *sql.Tx    // a read transaction's, which runs readStmts
	db      *DB
	now     time.Time
	changes map[string]*allot.Change // what caches must learn once committed
	impacts []allot.DataImpact       // what it did to users' data (userdata.go), if keepImpacts
	// keepImpacts says that the transaction's answer reads the impacts (a
	// preview, a dry run, an offboarding: impactOn): other writes do not
	// keep them (half a kilobyte a user, 50 MB for a bulk change of
	// 100,000).
	keepImpacts bool
	// mailboxes are the mailbox states it computed, by user id, for the
	// entitlements it hands the caches (userdata.go).
	mailboxes map[string]allot.MailboxState
	yielded   time.Time // when yield last let other goroutines run
	began     time.Time // when the transaction began, by the clock (not now)
	// lends says that the transaction becomes long work once it has run
	// for longTx (DB.OnLongWork): a write, or the read that serves a bulk
	// change beside the writer (dataPrefetch); not the index's load.
	lends bool
	// doneLong ends the long work the transaction became.
	doneLong func()
	// proof holds, while a bulk change planned from the snapshot runs, the
	// version each of its users had there and not yet proven in the write
	// (snapshot.go).
	proof map[string]int64
	// pristine says that nothing was written in the transaction before
	// this Tx's write: the group committer's first request to run, which
	// runs without a savepoint (a failure rolls the transaction back and
	// begins it again, restart) and whose reads a reader connection may
	// make for it (dataPrefetch).
	pristine bool
}

// update runs fn in a write transaction and commits it, retrying when the
// engine reports a serialization failure or deadlock. On SQLite, concurrent
// updates are committed together by the group committer. The commit hooks
// have run when update returns.
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 0; ; attempt++ {
		var changes map[string]*allot.Change
		var err error
		if db.group != nil {
			changes, err = db.group.submit(ctx, fn)
		} else {
			changes, err = db.runTx(ctx, db.write, false, fn)
		}
		if err == nil {
			db.publish(changes)
			if db.group != nil {
				db.group.checkpoint()
			}
			return nil
		}
		if !db.d.retryable(err) || attempt >= 8 {
			return db.d.translate(err)
		}
		time.Sleep(time.Duration(attempt+1) * 2 * time.Millisecond)
	}
}

// view runs fn in a read-only transaction on the read pool.
func (db *DB) view(ctx context.Context, fn func(tx *Tx) error) error {
	_, err := db.runTx(ctx, db.read, true, fn)
	return db.d.translate(err)
}

// runTx runs fn in a transaction and commits it, announcing its changes to
// other processes in the same commit, and returns those changes.
func (db *DB) runTx(ctx context.Context, pool *sql.DB, readOnly bool, fn func(tx *Tx) error) (map[string]*allot.Change, error) {
	sqlTx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly && db.d.readOnlyTx})
	if err != nil {
		return nil, err
	}
	tx := &Tx{q: sqlTx, db: db, now: db.now().UTC(), began: time.Now(), lends: !readOnly}
	if readOnly {
		tx.sqlTx = sqlTx
	}
	defer sqlTx.Rollback()
	defer tx.end()
	if err := fn(tx); err != nil {
		return nil, err
	}
	if err := tx.notify(ctx); err != nil {
		return nil, err
	}
	return tx.changes, sqlTx.Commit()
}

// newID returns a random (version 4) GUID.
func (db *DB) newID() string {
	g, err := allot.NewGUID(db.rand)
	if err != nil {
		panic("allot: no randomness: " + err.Error())
	}
	return g.String()
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
