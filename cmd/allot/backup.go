package main

import (
	"context"
	"fmt"

	"github.com/allot-project/allot/sqlstore"
)

const backupUsage = `Usage: allot backup [--db PATH] FILE

Backup writes a consistent copy of the SQLite database to FILE, a new file
(an existing one is refused), while allot serve goes on serving: the copy
holds every change committed before the backup started and none after.
Restore by stopping the server and putting FILE in place of the database
(removing its -wal and -shm files), then run allot doctor on it.

PostgreSQL databases are backed up with PostgreSQL's own tools:

	pg_dump --format=custom --file=allot.dump postgres://allot@db.example/allot
	pg_restore --dbname=postgres://allot@db.example/allot allot.dump

See docs/operations.md.
`

// backupCommand is "allot backup".
type backupCommand struct {
	m         *Main
	dsn, file string
}

func (m *Main) parseBackup(args []string) (command, error) {
	c := &backupCommand{m: m}
	fs := newFlagSet("backup")
	dbFlag(fs, &c.dsn)
	if err := m.parseFlags(fs, backupUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: "backup takes one argument, the new FILE to write (run 'allot backup -h' for usage)"}
	}
	c.file = fs.Arg(0)
	return c, nil
}

func (c *backupCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	if err := db.Backup(ctx, c.file); err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.m.Stdout, "allot: backed %s up to %s\n", c.dsn, c.file)
	return err
}
