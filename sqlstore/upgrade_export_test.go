package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"time"
)

// Migrations returns the number of embedded migrations of the engine of
// dsn: the schema version Open brings a database to.
func Migrations(dsn string) int {
	files, _ := fs.Glob(migrations, "migrations/"+dialectFor(dsn).name+"/*.sql")
	return len(files)
}

// MigrateTo brings the empty database dsn to schema version n only, as
// the allot that had n migrations left it, and returns a connection to it
// for the test to load data with that version's SQL.
func MigrateTo(ctx context.Context, dsn string, n int) (*sql.DB, error) {
	db := &DB{d: dialectFor(dsn), now: time.Now, dsn: dsn}
	driver, name := "pgx", dsn
	if db.d.name == "sqlite" {
		driver, name = "sqlite", "file:"+escapePath(dsn)+"?_pragma=foreign_keys(1)"
	}
	conn, err := sql.Open(driver, name)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	db.write = conn
	if _, err := conn.ExecContext(ctx, `CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		conn.Close()
		return nil, err
	}
	files, err := fs.Glob(migrations, "migrations/"+db.d.name+"/*.sql")
	if err != nil || n > len(files) {
		conn.Close()
		return nil, fmt.Errorf("%d migrations, %d asked: %v", len(files), n, err)
	}
	sort.Strings(files)
	for i := range n {
		if err := db.applyMigration(ctx, i+1, files[i], 0); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}
