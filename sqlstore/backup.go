package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/allot-project/allot"
)

// Backup writes a consistent copy of the SQLite database to the new file
// dest, while the database serves: SQLite's VACUUM INTO reads one snapshot
// on a connection of its own, so writers go on meanwhile and the copy holds
// every transaction committed before it started, none after. The copy is a
// plain SQLite database: restore it by putting it in place of the original
// (and its -wal and -shm files) while no server runs.
//
// Returns EINVALID when dest exists (a backup never overwrites), or on
// PostgreSQL, whose backups are pg_dump's or the server's own.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.d.name != "sqlite" {
		return allot.Errorf(allot.EINVALID, "allot backs up SQLite databases only: back PostgreSQL up with pg_dump (pg_dump --format=custom --file=allot.dump URL) or the server's base backups.")
	}
	// Claim the name first: VACUUM INTO fills an empty file, and a file
	// this call created is the only one it may remove.
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return &allot.Error{Code: allot.EINVALID, Field: "file", Value: dest, Message: fmt.Sprintf("%s exists: a backup never overwrites a file; name a new one.", dest)}
	} else if err != nil {
		return err
	}
	f.Close()
	// VACUUM INTO writes the copy in the page size last asked for.
	conn, err := sql.Open("sqlite", "file:"+escapePath(db.dsn)+"?_pragma=busy_timeout(10000)&_pragma=page_size("+strconv.Itoa(PageSize)+")")
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO $1`, dest); err != nil {
		os.Remove(dest) // a partial copy is no backup
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return nil
}

// escapePath escapes what a file: URI would read as query or fragment.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}
