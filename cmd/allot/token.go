package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/graph"
	"github.com/allot-project/allot/sqlstore"
)

const tokenUsage = `Usage: allot token <create|list|revoke> [flags] [arguments]

Token manages the access tokens of the API. A token acts as one user or
one application of one tenant, with the roles it holds when the token is
used.

	create  issue a token for a user or an application and print its secret
	list    list the tokens: id, owner, created, expires, revoked
	revoke  revoke a token given its secret or its id

Run "allot help token create" for the flags of one.
`

const tokenCreateUsage = `Usage: allot token create --user UPN [--db PATH|URL] [--expires DURATION]
       allot token create --app NAME --role ROLE [--role ROLE] [--tenant DOMAIN] [--db PATH|URL] [--expires DURATION]

Create issues an access token and prints only its secret on standard
output. The secret is not stored, so it cannot be shown again.

With --user, the token acts as the user; the user's tenant is the one
whose domain ends the userPrincipalName. With --app, it acts as the
application NAME, an identity of its own in the tenant (created the first
time, the same one for the same name in any case) holding the roles given
by --role (e.g. "License Checker", which may only ask license checks);
--tenant names the tenant by one of its domains and may be left out when
the database holds one tenant.
`

const tokenListUsage = `Usage: allot token list [--db PATH|URL] [--tenant DOMAIN] [--output table|json]

List prints the tokens of the tenant (of every tenant without --tenant),
oldest first: id, owner (a user or an application), created, expires and
revoked. Secrets are never stored, so never shown.
`

const tokenRevokeUsage = `Usage: allot token revoke [--db PATH|URL] TOKEN_OR_ID

Revoke revokes a token, given its secret or its id, at once: requests
made with it are refused from then on.
`

// parseToken dispatches to "token create" and "token revoke".
func (m *Main) parseToken(args []string) (command, error) {
	g := &cli.Group[command]{Name: "token", Usage: tokenUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "create", Parse: m.parseTokenCreate},
		{Name: "list", Parse: m.parseTokenList},
		{Name: "revoke", Parse: m.parseTokenRevoke},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// tokenCreateCommand is "allot token create".
type tokenCreateCommand struct {
	m       *Main
	dsn     string
	upn     string
	app     string
	roles   listFlag
	tenant  string
	expires time.Duration
}

func (m *Main) parseTokenCreate(args []string) (command, error) {
	c := &tokenCreateCommand{m: m}
	fs := newFlagSet("token create")
	dbFlag(fs, &c.dsn)
	fs.StringVar(&c.upn, "user", "", "the `UPN` (userPrincipalName) of the user the token acts as")
	fs.StringVar(&c.app, "app", "", "the `name` of the application the token acts as, instead of a user")
	fs.Var(&c.roles, "role", "a `role` of the application, by name or id (repeatable; needed with --app)")
	fs.StringVar(&c.tenant, "tenant", "", "the application's tenant, by one of its `domain`s")
	fs.DurationVar(&c.expires, "expires", 30*24*time.Hour, "how long the token stays valid, e.g. 8h or 2160h")
	if err := m.parseFlags(fs, tokenCreateUsage, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("token create takes no arguments, got %q (run 'allot token create -h' for usage)", fs.Arg(0))}
	case c.upn != "" && c.app != "":
		return nil, &usageError{Msg: "token create: give --user or --app, not both"}
	case c.app != "":
		return c, c.checkApp()
	case c.upn == "":
		return nil, &usageError{Msg: "token create: --user is required, e.g. --user admin@contoso.example (or --app NAME --role \"License Checker\" for an application)"}
	case len(c.roles) > 0 || c.tenant != "":
		return nil, &usageError{Msg: "token create: --role and --tenant go with --app; a user's token carries the user's own roles"}
	case allot.ValidateUPN(c.upn) != nil:
		return nil, &usageError{Msg: fmt.Sprintf("token create: --user %q is not a userPrincipalName of the form name@domain", c.upn)}
	case c.expires <= 0:
		return nil, &usageError{Msg: fmt.Sprintf("token create: --expires must be positive, not %s", c.expires)}
	}
	return c, nil
}

// checkApp checks the flags of an application's token.
func (c *tokenCreateCommand) checkApp() error {
	if len(c.roles) == 0 {
		return &usageError{Msg: "token create: --app needs at least one --role, e.g. --role \"License Checker\""}
	}
	for _, r := range c.roles {
		if _, err := allot.FindRole(r); err != nil {
			return &usageError{Msg: fmt.Sprintf("token create: no role %q; the roles are %s", r, roleNames())}
		}
	}
	if c.expires <= 0 {
		return &usageError{Msg: fmt.Sprintf("token create: --expires must be positive, not %s", c.expires)}
	}
	return nil
}

func (c *tokenCreateCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	if c.app != "" {
		return c.runApp(ctx, db)
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

// runApp issues an application's token as the operator.
func (c *tokenCreateCommand) runApp(ctx context.Context, db *sqlstore.DB) error {
	t, err := findTenant(ctx, db, c.tenant)
	if err != nil {
		return err
	}
	roles := make([]allot.Role, len(c.roles))
	for i, r := range c.roles {
		roles[i], _ = allot.FindRole(r) // checked by checkApp
	}
	op := allot.SystemPrincipal(t.ID, "operator")
	op.Via = allot.ChannelCLI
	secret, _, err := db.CreateAppToken(ctx, op, c.app, roles, c.expires)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.m.Stdout, secret)
	return err
}

// findTenant returns the tenant with the domain, or the only tenant of the
// database when domain is empty.
func findTenant(ctx context.Context, db *sqlstore.DB, domain string) (*allot.Tenant, error) {
	if domain != "" {
		t, err := db.FindTenantByDomain(ctx, strings.TrimSpace(domain))
		if allot.ErrorCode(err) == allot.ENOTFOUND {
			return nil, fmt.Errorf("no tenant has the domain %s", domain)
		}
		return t, err
	}
	ts, err := db.FindTenants(ctx)
	if err != nil {
		return nil, err
	}
	if len(ts) != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("the database holds %d tenants: name one with --tenant DOMAIN", len(ts))}
	}
	return ts[0], nil
}

// tokenListCommand is "allot token list".
type tokenListCommand struct {
	m      *Main
	dsn    string
	tenant string
	output string
}

func (m *Main) parseTokenList(args []string) (command, error) {
	c := &tokenListCommand{m: m}
	fs := newFlagSet("token list")
	dbFlag(fs, &c.dsn)
	fs.StringVar(&c.tenant, "tenant", "", "list the tenant with this `domain` only")
	fs.StringVar(&c.output, "output", "table", "output `format`: table or json")
	fs.StringVar(&c.output, "o", "table", "shorthand for --output `format`")
	if err := m.parseFlags(fs, tokenListUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: fmt.Sprintf("token list takes no arguments, got %q (run 'allot token list -h' for usage)", fs.Arg(0))}
	}
	if c.output != "table" && c.output != "json" {
		return nil, &usageError{Msg: fmt.Sprintf("token list: --output must be table or json, not %q", c.output)}
	}
	return c, nil
}

// listedToken is a token as "token list -o json" prints it.
type listedToken struct {
	Tenant string `json:"tenant"`
	graph.TokenInfo
}

func (c *tokenListCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	tenants, err := db.FindTenants(ctx)
	if c.tenant != "" {
		var t *allot.Tenant
		t, err = findTenant(ctx, db, c.tenant)
		tenants = []*allot.Tenant{t}
	}
	if err != nil {
		return err
	}
	out := []listedToken{}
	for _, t := range tenants {
		ts, err := db.FindTokens(ctx, allot.SystemPrincipal(t.ID, "operator"))
		if err != nil {
			return err
		}
		for _, tok := range ts {
			out = append(out, listedToken{Tenant: t.Domain, TokenInfo: graph.NewTokenInfo(tok)})
		}
	}
	if c.output == "json" {
		return writeJSON(c.m.Stdout, out)
	}
	tw := newTable(c.m.Stdout, "ID", "TENANT", "OWNER", "TYPE", "CREATED", "EXPIRES", "REVOKED")
	for _, t := range out {
		revoked := "-"
		if t.Revoked != nil {
			revoked = t.Revoked.Format(time.RFC3339)
		}
		tw.row(t.ID, t.Tenant, t.Owner, t.OwnerType, t.Created.Format(time.RFC3339), t.Expiration.Format(time.RFC3339), revoked)
	}
	return tw.flush()
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
