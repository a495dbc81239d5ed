package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/allot-project/allot"
)

// dialect holds what differs between SQLite and PostgreSQL. Code outside
// this file asks the dialect what to do and never compares engine names.
type dialect struct {
	name string // also the directory of the engine's migrations
	// forUpdate is appended to a SELECT that must lock its rows until
	// commit; SQLite has one writer and needs no row locks.
	forUpdate string
	// rowLocks says that concurrent writers lock rows (forUpdate is set).
	rowLocks bool
	// groupCommit says that writes go through the group committer: SQLite's
	// one writer connection commits queued writes together.
	groupCommit bool
	// readOnlyTx says that reads run in transactions declared read-only.
	readOnlyTx bool
	// notifies says that commits are announced to other processes
	// (LISTEN/NOTIFY), which share the database.
	notifies bool
	// anonymousParams says that placeholders are written "?" (see
	// placeholders).
	anonymousParams bool
	// auditSequence says that audit event ids come from a sequence, which
	// concurrent writers share; without it, the single writer takes MAX+1.
	auditSequence bool
	// snapshot, run first in a read transaction, makes all its statements
	// read one snapshot; SQLite's read transactions are snapshots already.
	snapshot string
	// prefixRange says that text compares byte by byte, so that a prefix
	// search may add a range an index serves (userQuery).
	prefixRange bool
	// statementJournal says that a statement which may fail half-way first
	// copies each page it changes to a statement journal, so that it can
	// be undone alone (SQLite); OR FAIL statements on tables without
	// foreign keys need none (insertOrFail, storeUserData).
	statementJournal bool
	// sharedValues says that a multi-row INSERT may bind the values all
	// its rows share once, as INSERT … SELECT $1, column1, … FROM (VALUES
	// …) (insertRows): SQLite, which gives each value the type of the
	// column it lands in; PostgreSQL would type such a parameter as text.
	sharedValues bool
	// rowID is the column that locates a row of a table with rowids
	// (SQLite's rowid): ScanEntitlementTables reports it for each user as a
	// hint (allot.UserRow.Row) and ReadUserAt reads by it. "" where there
	// is none that stays put: PostgreSQL's ctid moves with every update.
	rowID string
	// analyzePrelude runs before ANALYZE after a large import.
	analyzePrelude string
	// open opens db's pools for a data source name.
	open func(db *DB, dsn string, opts Options) error
}

var (
	// SQLite samples (analysis_limit) so that ANALYZE stays quick on a
	// large file.
	sqliteDialect = dialect{name: "sqlite", groupCommit: true, anonymousParams: true, prefixRange: true, statementJournal: true, sharedValues: true, rowID: "rowid",
		analyzePrelude: "PRAGMA analysis_limit = 1000", open: (*DB).openSQLite}
	postgresDialect = dialect{name: "postgres", forUpdate: " FOR UPDATE", rowLocks: true, readOnlyTx: true, notifies: true,
		auditSequence: true, snapshot: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", open: (*DB).openPostgres}
)

// dialectFor chooses the engine a data source name designates: a
// PostgreSQL URL (postgres://… or postgresql://…) or else a SQLite file.
func dialectFor(dsn string) dialect {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return postgresDialect
	}
	return sqliteDialect
}

// placeholders returns n parameters for positions from, from+1, …:
// "$from, …" on PostgreSQL and anonymous "?, …" on SQLite, whose parser and
// driver look numbered or named parameters up in a list, which makes a
// multi-row INSERT quadratic. An anonymous "?" takes the position after the
// largest one so far, so the numbered parameters of a statement must all
// come before its placeholders.
func (d dialect) placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if d.anonymousParams {
			b.WriteByte('?')
		} else {
			b.WriteString("$" + strconv.Itoa(from+i))
		}
	}
	return b.String()
}

// PageSize is the page size of the SQLite databases allot creates, and of
// its backups. SQLite's default, 4 KiB, made a bulk change of 100 k users
// in a tenant of 1 M touch about 170,000 pages, each a lookup, a copy into
// the cache and a frame in the log; with 16 KiB pages the change of W5
// took 4.5 instead of 5.2 s (docs/performance.md, wave 12). A database
// created before keeps its page size until it is restored from a backup.
const PageSize = 16384

func (db *DB) openSQLite(path string, opts Options) error {
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL", "EXTRA":
	default:
		return fmt.Errorf("synchronous must be FULL or NORMAL, not %q", opts.Synchronous)
	}
	// The writer's 64 MiB page cache (SQLite's default is 2 MiB) keeps the
	// indexes that bulk changes walk in memory. Each reader has 8 MiB: the
	// license checks never reach SQL, the pages readers share stay in the
	// OS's file cache, and eight readers at 64 MiB took about 135 MB of a
	// 1M-user server's memory (docs/performance.md, W10).
	// page_size applies only to a database not yet created, which the
	// switch to WAL creates: the driver runs the _pragma list in
	// alphabetical order, and _journal_mode after it.
	pragmas := url.Values{"_pragma": {
		"busy_timeout(10000)", "page_size(" + strconv.Itoa(PageSize) + ")", "foreign_keys(1)", "synchronous(" + sync + ")", "cache_size(-65536)",
	}, "_journal_mode": {"WAL"}}
	name := "file:" + escapePath(path)
	var err error
	if db.write, err = sql.Open("sqlite", name+"?"+pragmas.Encode()+"&_txlock=immediate"); err != nil {
		return err
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	// Create the file and switch it to WAL before readers open it.
	if err := db.write.Ping(); err != nil {
		db.write.Close()
		return fmt.Errorf("open %s: %w", path, err)
	}
	pragmas["_pragma"] = append(slices.DeleteFunc(pragmas["_pragma"], func(p string) bool { return strings.HasPrefix(p, "cache_size") }),
		"cache_size(-8192)", "query_only(1)")
	if db.read, err = sql.Open("sqlite", name+"?"+pragmas.Encode()); err != nil {
		db.write.Close()
		return err
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 8
	}
	db.read.SetMaxOpenConns(n)
	db.read.SetMaxIdleConns(n)
	return nil
}

func (db *DB) openPostgres(dsn string, opts Options) error {
	// pgx prepares every statement; after five runs PostgreSQL may switch
	// to a generic plan, which for "user_id IN ($3, …, $502)" is a scan of
	// the whole table (found by W11: a 100k-user bulk change took two
	// minutes). Custom plans cost a little planning and keep index lookups.
	if u, err := url.Parse(dsn); err == nil && !u.Query().Has("plan_cache_mode") {
		q := u.Query()
		q.Set("plan_cache_mode", "force_custom_plan")
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	var err error
	if db.write, err = sql.Open("pgx", dsn); err != nil {
		return err
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 16
	}
	db.write.SetMaxOpenConns(n)
	db.write.SetMaxIdleConns(n)
	db.read = db.write
	if err := db.write.Ping(); err != nil {
		db.write.Close()
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return nil
}

// retryable reports whether err is a transient conflict after which the
// whole transaction may simply run again.
func (d dialect) retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01" // serialization_failure, deadlock_detected
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}

// translate turns engine errors that mean something to a caller into
// *allot.Error and leaves the others, which callers report as internal.
func (d dialect) translate(err error) error {
	if err == nil {
		return nil
	}
	var ae *allot.Error
	if errors.As(err, &ae) {
		return ae
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return allot.Errorf(allot.ECONFLICT, "Another object with the same value already exists.")
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return allot.Errorf(allot.ECONFLICT, "Another object with the same value already exists.")
	}
	return err
}

// auditIDs allocates n audit event ids for a tenant, in increasing order.
func (tx *Tx) auditIDs(ctx context.Context, tenantID string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if tx.db.d.auditSequence {
		rows, err := tx.QueryContext(ctx, `SELECT nextval('audit_event_seq') FROM generate_series(1, $1)`, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, rows.Err()
	}
	// SQLite has one writer, so the maximum cannot move under us.
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(event_id), 0) FROM audit_events WHERE tenant_id = $1`, tenantID).Scan(&last)
	for i := 1; i <= n; i++ {
		ids = append(ids, last+int64(i))
	}
	return ids, err
}
