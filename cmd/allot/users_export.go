package main

import (
	"context"
	"fmt"
	"os"

	"github.com/allot-project/allot/client"
)

const usersExportUsage = `Usage: allot users export [FILE.csv|-]

Export writes every active user of the tenant as CSV, to FILE.csv or to
standard output, in the columns "allot users import" reads:
userPrincipalName, displayName, usageLocation, accountEnabled and licenses
(skuPartNumbers separated by ";", sorted). Users come in the order of their
ids, so two exports of an unchanged tenant are identical, and an export
imports back to no change. The server streams the file a page of 1,000
users at a time (GET /api/users/export).

Examples:

	allot users export users.csv
	allot users export | grep ';SPB'
`

// usersExportCommand is "allot users export".
type usersExportCommand struct {
	remote *remote
	cl     *client.Client
	file   string
}

func (m *Main) parseUsersExport(args []string) (command, error) {
	fs := newFlagSet("users export")
	c := &usersExportCommand{remote: m.remoteFlags(fs)}
	if err := m.parseFlags(fs, usersExportUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 1 {
		return nil, &usageError{Msg: fmt.Sprintf("users export takes at most one FILE.csv, got %d arguments (run 'allot users export -h' for usage)", fs.NArg())}
	}
	c.file = fs.Arg(0)
	if err := c.remote.finish("users export"); err != nil {
		return nil, err
	}
	if c.remote.json() {
		return nil, &usageError{Msg: "users export writes CSV, the format users import reads; --output json does not apply (users list -o json lists users as JSON)"}
	}
	var err error
	c.cl, err = c.remote.client("users export")
	return c, err
}

func (c *usersExportCommand) run(ctx context.Context) error {
	if c.file == "" || c.file == "-" {
		return c.cl.ExportUsers(ctx, c.remote.m.Stdout)
	}
	f, err := os.Create(c.file)
	if err != nil {
		return err
	}
	if err := c.cl.ExportUsers(ctx, f); err != nil {
		f.Close()
		os.Remove(c.file) // a partial export must not pass for a whole one
		return err
	}
	return f.Close()
}
