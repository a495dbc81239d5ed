package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/sqlstore"
)

const tokenUsage = `Usage: allot token <create|revoke> [flags] [arguments]

Token manages the access tokens of the API. A token acts as one user of one
tenant, with the roles that user holds when the token is used.

	create  issue a token for a user and print its secret
	revoke  revoke a token given its secret or its id

Run "allot help token create" for the flags of one.
`

const tokenCreateUsage = `Usage: allot token create --user UPN [--db PATH|URL] [--expires DURATION]

Create issues an access token for the user and prints only its secret on
standard output. The secret is not stored, so it cannot be shown again.
The user's tenant is the one whose domain ends the userPrincipalName.
`

const tokenRevokeUsage = `Usage: allot token revoke [--db PATH|URL] TOKEN_OR_ID

Revoke revokes a token, given its secret or its id, at once: requests
made with it are refused from then on.
`

// parseToken dispatches to "token create" and "token revoke".
func (m *Main) parseToken(args []string) (command, error) {
	g := &cli.Group[command]{Name: "token", Usage: tokenUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "create", Parse: m.parseTokenCreate},
		{Name: "revoke", Parse: m.parseTokenRevoke},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// tokenCreateCommand is "allot token create".
type tokenCreateCommand struct {
	m       *Main
	dsn     string
	upn     string
	expires time.Duration
}

func (m *Main) parseTokenCreate(args []string) (command, error) {
	c := &tokenCreateCommand{m: m}
	fs := newFlagSet("token create")
	dbFlag(fs, &c.dsn)
	fs.StringVar(&c.upn, "user", "", "the `UPN` (userPrincipalName) of the user the token acts as (required)")
	fs.DurationVar(&c.expires, "expires", 30*24*time.Hour, "how long the token stays valid, e.g. 8h or 2160h")
	if err := m.parseFlags(fs, tokenCreateUsage, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("token create takes no arguments, got %q (run 'allot token create -h' for usage)", fs.Arg(0))}
	case c.upn == "":
		return nil, &usageError{Msg: "token create: --user is required, e.g. --user admin@contoso.example"}
	case allot.ValidateUPN(c.upn) != nil:
		return nil, &usageError{Msg: fmt.Sprintf("token create: --user %q is not a userPrincipalName of the form name@domain", c.upn)}
	case c.expires <= 0:
		return nil, &usageError{Msg: fmt.Sprintf("token create: --expires must be positive, not %s", c.expires)}
	}
	return c, nil
}

func (c *tokenCreateCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	domain := c.upn[strings.LastIndexByte(c.upn, '@')+1:]
	t, err := db.FindTenantByDomain(ctx, domain)
	if allot.ErrorCode(err) == allot.ENOTFOUND {
		return fmt.Errorf("no tenant has the domain %s of user %s", domain, c.upn)
	} else if err != nil {
		return err
	}
	u, err := db.FindUser(ctx, allot.SystemPrincipal(t.ID, "allot token create"), c.upn)
	if allot.ErrorCode(err) == allot.ENOTFOUND {
		return fmt.Errorf("tenant %s has no user %s", t.Name, c.upn)
	} else if err != nil {
		return err
	}
	if !u.AccountEnabled {
		return fmt.Errorf("user %s is blocked from signing in, so a token for them would be refused", c.upn)
	}
	secret, _, err := db.CreateToken(ctx, t.ID, u.ID, c.expires)
	if err != nil {
		return err
	}
	return c.m.printToken(secret)
}

// printToken prints a new token's secret as "token create" does: alone on
// its line, the last of the output, so that scripts can take it with tail.
func (m *Main) printToken(secret string) error {
	_, err := fmt.Fprintln(m.Stdout, secret)
	return err
}

// tokenRevokeCommand is "allot token revoke".
type tokenRevokeCommand struct {
	m     *Main
	dsn   string
	token string
}

func (m *Main) parseTokenRevoke(args []string) (command, error) {
	c := &tokenRevokeCommand{m: m}
	fs := newFlagSet("token revoke")
	dbFlag(fs, &c.dsn)
	if err := m.parseFlags(fs, tokenRevokeUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("token revoke takes one TOKEN_OR_ID after the flags, got %d arguments (run 'allot token revoke -h' for usage)", fs.NArg())}
	}
	c.token = fs.Arg(0)
	return c, nil
}

func (c *tokenRevokeCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	if err := db.RevokeToken(ctx, strings.TrimSpace(c.token)); err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.m.Stdout, "allot: token revoked")
	return err
}

// dbFlag defines the --db flag of the commands that work on an existing
// database.
func dbFlag(fs *flag.FlagSet, dsn *string) {
	fs.StringVar(dsn, "db", "./allot.db", "the database: a SQLite `file` or a postgres:// URL")
}
