package main

import (
	"context"
	"fmt"

	"github.com/allot-project/allot/sqlstore"
)

const doctorUsage = `Usage: allot doctor [--db PATH|URL]

Doctor checks the database's invariants: it recomputes every seat counter
from the assignment rows and prints each seat pool where they differ, one
line each on standard error, with exit status 1. It reads every license,
so on a large database run it off-peak. See docs/operations.md.
`

// doctorCommand is "allot doctor".
type doctorCommand struct {
	m   *Main
	dsn string
}

func (m *Main) parseDoctor(args []string) (command, error) {
	c := &doctorCommand{m: m}
	fs := newFlagSet("doctor")
	dbFlag(fs, &c.dsn)
	if err := m.parseFlags(fs, doctorUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: fmt.Sprintf("doctor takes no arguments, got %q (run 'allot doctor -h' for usage)", fs.Arg(0))}
	}
	return c, nil
}

func (c *doctorCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	bad, err := db.CheckCounters(ctx)
	if err != nil {
		return err
	}
	for _, m := range bad {
		fmt.Fprintf(c.m.Stderr, "allot: %s\n", m)
	}
	if len(bad) > 0 {
		return errReported
	}
	_, err = fmt.Fprintln(c.m.Stdout, "allot: every seat counter matches the licenses assigned")
	return err
}
