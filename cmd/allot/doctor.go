package main

import (
	"context"
	"fmt"

	"github.com/allot-project/allot/sqlstore"
)

const doctorUsage = `Usage: allot doctor [--db PATH|URL]

Doctor checks the database's invariants and prints each one broken, one
line each on standard error, with exit status 1:

	integrity      SQLite's quick_check and foreign key check; every license names a
	               user; every user has a version and every version a user
	counter        every seat counter equals the licenses assigned from its pool
	capacity       every pool's capacity is what its subscriptions give
	pool           no license comes from a pool that no subscription backs
	over capacity  no pool of subscriptions that all take assignments has
	               more licenses assigned than seats
	deleted user   no deleted user's licenses are counted
	audit          every tenant holding users has an audit trail

It reads every row, so on a large database run it off-peak. See
docs/operations.md.
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
	bad, err := db.Doctor(ctx)
	if err != nil {
		return err
	}
	for _, p := range bad {
		fmt.Fprintf(c.m.Stderr, "allot: %s\n", p)
	}
	if len(bad) > 0 {
		return errReported
	}
	_, err = fmt.Fprintln(c.m.Stdout, "allot: every invariant holds: seat counters, capacities, pools, deleted users, audit and integrity")
	return err
}
