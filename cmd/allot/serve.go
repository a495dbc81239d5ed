package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

const serveUsage = `Usage: allot serve [flags]

Serve opens the database, creating it and migrating it to the current
schema if needed, and serves the admin center and its API.

With --demo it first creates the demo tenant Contoso (contoso.example) with
its users, subscriptions and licenses, unless that tenant exists; then
"allot token create --user admin@contoso.example" gives an API token of its
Global Administrator.
`

// serveCommand is "allot serve".
type serveCommand struct {
	m           *Main
	dsn         string
	demo        bool
	catalog     string
	synchronous string
	// serve runs the HTTP server on the prepared database until ctx ends.
	// While it is nil, the command only prepares the database.
	serve func(ctx context.Context, db *sqlstore.DB) error
}

func (m *Main) parseServe(args []string) (command, error) {
	c := &serveCommand{m: m}
	fs := newFlagSet("serve")
	fs.StringVar(&c.dsn, "db", "./allot.db", "the database: a SQLite `file` (created if missing) or a postgres:// URL")
	fs.BoolVar(&c.demo, "demo", false, "create the demo tenant contoso.example unless it exists")
	fs.StringVar(&c.catalog, "catalog", "", "load the product catalog from this JSON `file` instead of the built-in one")
	fs.StringVar(&c.synchronous, "synchronous", "FULL", "SQLite durability `mode`: FULL (a commit survives a power loss) or NORMAL\n(faster; a power loss may lose the last commits, never the database)")
	if err := m.parseFlags(fs, serveUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{fmt.Sprintf("serve takes no arguments, got %q (run 'allot serve -h' for usage)", fs.Arg(0))}
	}
	c.synchronous = strings.ToUpper(c.synchronous)
	if c.synchronous != "FULL" && c.synchronous != "NORMAL" {
		return nil, &usageError{fmt.Sprintf("serve: --synchronous must be FULL or NORMAL, not %q", c.synchronous)}
	}
	return c, nil
}

func (c *serveCommand) run(ctx context.Context) error {
	catalog := allot.DemoCatalog()
	if c.catalog != "" {
		var err error
		if catalog, err = allot.LoadCatalog(c.catalog); err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
				return fmt.Errorf("catalog: %w", err)
			}
			return err
		}
	}
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{Catalog: catalog, Synchronous: c.synchronous}, false)
	if err != nil {
		return err
	}
	if c.demo {
		if err := c.seedDemo(ctx, db); err != nil {
			return err
		}
	}
	if c.serve == nil {
		fmt.Fprintf(c.m.Stdout, "allot: database ready at %s (HTTP API not built yet)\n", redact(c.dsn))
		return nil
	}
	return c.serve(ctx, db)
}

// seedDemo seeds the demo tenant and prints one line about it.
func (c *serveCommand) seedDemo(ctx context.Context, db *sqlstore.DB) error {
	state := "created"
	if _, err := db.FindTenantByDomain(ctx, demo.Domain); err == nil {
		state = "already present"
	} else if allot.ErrorCode(err) != allot.ENOTFOUND {
		return err
	}
	t, err := demo.Seed(ctx, db, c.m.Now())
	if err != nil {
		return err
	}
	p := allot.SystemPrincipal(t.ID, "allot serve")
	users, err := db.CountUsers(ctx, p, allot.UserFilter{})
	if err != nil {
		return err
	}
	subs, err := db.FindSubscriptions(ctx, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "allot: demo tenant %s (%s) %s: %d users, %d subscriptions, Global Administrator %s\n",
		t.Name, t.Domain, state, users, len(subs), demo.AdminUPN)
	return nil
}
