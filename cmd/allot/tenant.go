package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/sqlstore"
)

const tenantUsage = `Usage: allot tenant <create|domain> [flags] [arguments]

Tenant sets up an organisation in the database itself (no server needed):

	create  create an organisation from nothing: its domain, its first
	        Global Administrator, its products; print the administrator's token
	domain  add a domain to an organisation

Run "allot help tenant create" for the flags of one.
`

const tenantCreateUsage = `Usage: allot tenant create --name NAME --domain DOMAIN --admin UPN [--db PATH|URL]
	[--admin-name NAME] [--usage-location CC] [--subscription SKU:N ...] [--expires DURATION]

Create makes a new organisation, in one transaction: the tenant, its
verified default domain, its first user as Global Administrator, and one
subscription per --subscription (SKU by skuPartNumber, any case, and a
positive number of licenses; the flag may be repeated). If anything is
refused, nothing is made. The database is created if it does not exist.

It then issues the administrator an access token and prints it on the last
line of its output, as "allot token create" does, e.g.:

	allot tenant create --db fabrikam.db --name Fabrikam --domain fabrikam.example \
		--admin admin@fabrikam.example --subscription SPE_E3:25
	export ALLOT_TOKEN=$(allot tenant create ... | tail -n 1)

The administrator is named "Administrator" unless --admin-name says
otherwise, and has no usage location unless --usage-location gives one
(it needs one before it is given a license).
`

const tenantDomainUsage = `Usage: allot tenant domain add --tenant DOMAIN [--db PATH|URL] [--default] NEWDOMAIN

Domain add gives the organisation that has the domain --tenant one more
verified domain, NEWDOMAIN, on which its users may then be created. With
--default it becomes the organisation's default domain; the former default
stays usable. A domain belongs to one organisation only.
`

// parseTenant dispatches to "tenant create" and "tenant domain".
func (m *Main) parseTenant(args []string) (command, error) {
	g := &cli.Group[command]{Name: "tenant", Usage: tenantUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "create", Parse: m.parseTenantCreate},
		{Name: "domain", Parse: m.parseTenantDomain},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// tenantCreateCommand is "allot tenant create".
type tenantCreateCommand struct {
	m       *Main
	dsn     string
	catalog string
	setup   allot.TenantSetup
	subs    subscriptionFlag
	expires time.Duration
}

func (m *Main) parseTenantCreate(args []string) (command, error) {
	c := &tenantCreateCommand{m: m}
	fs := newFlagSet("tenant create")
	dbFlag(fs, &c.dsn)
	fs.StringVar(&c.setup.Tenant.Name, "name", "", "the organisation's `name`, e.g. Fabrikam (required)")
	fs.StringVar(&c.setup.Tenant.Domain, "domain", "", "its verified default `domain`, e.g. fabrikam.example (required)")
	fs.StringVar(&c.setup.Admin.UserPrincipalName, "admin", "", "the `UPN` of its first Global Administrator, on --domain (required)")
	fs.StringVar(&c.setup.Admin.DisplayName, "admin-name", "Administrator", "the administrator's display `name`")
	fs.StringVar(&c.setup.Admin.UsageLocation, "usage-location", "", "the administrator's usage location, an ISO 3166-1 `country` code such as FR")
	fs.Var(&c.subs, "subscription", "a product to subscribe to, as `SKU:N` (skuPartNumber and licenses); repeatable")
	fs.StringVar(&c.catalog, "catalog", "", "the product catalog JSON `file` the server uses, if not the built-in one")
	fs.DurationVar(&c.expires, "expires", 30*24*time.Hour, "how long the administrator's token stays valid")
	if err := m.parseFlags(fs, tenantCreateUsage, args); err != nil {
		return nil, err
	}
	required := []struct{ flag, value, example string }{
		{"--name", c.setup.Tenant.Name, "--name Fabrikam"},
		{"--domain", c.setup.Tenant.Domain, "--domain fabrikam.example"},
		{"--admin", c.setup.Admin.UserPrincipalName, "--admin admin@fabrikam.example"},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return nil, &usageError{Msg: fmt.Sprintf("tenant create: %s is required, e.g. %s", r.flag, r.example)}
		}
	}
	switch {
	case fs.NArg() > 0:
		return nil, &usageError{Msg: fmt.Sprintf("tenant create takes no arguments, got %q (run 'allot tenant create -h' for usage)", fs.Arg(0))}
	case c.expires <= 0:
		return nil, &usageError{Msg: fmt.Sprintf("tenant create: --expires must be positive, not %s", c.expires)}
	}
	c.setup.Admin.AccountEnabled = true
	return c, nil
}

func (c *tenantCreateCommand) run(ctx context.Context) error {
	catalog, err := loadCatalog(c.catalog)
	if err != nil {
		return err
	}
	for _, s := range c.subs {
		sku := catalog.FindSKU(s.sku)
		if sku == nil {
			return &allot.Error{Code: allot.EINVALID, Field: "subscription", Value: s.sku,
				Message: fmt.Sprintf("--subscription %s:%d: no product has the skuPartNumber %s", s.sku, s.n, s.sku)}
		}
		c.setup.Subscriptions = append(c.setup.Subscriptions, allot.Subscription{SKUID: sku.ID, Quantity: s.n})
	}
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{Catalog: catalog}, false)
	if err != nil {
		return err
	}
	if err := db.SetUpTenant(ctx, &c.setup); err != nil {
		var e *allot.Error
		if errors.As(err, &e) && e.Field == "userPrincipalName" && e.Code == allot.EINVALID && allot.ValidateUPN(e.Value) == nil {
			return fmt.Errorf("--admin %s is not on the domain %s: %w", e.Value, c.setup.Tenant.Domain, err)
		}
		return err
	}
	secret, tok, err := db.CreateToken(ctx, c.setup.Tenant.ID, c.setup.Admin.ID, c.expires)
	if err != nil {
		return fmt.Errorf("tenant %s was created, but its administrator's token was not (run 'allot token create --user %s'): %w",
			c.setup.Tenant.Name, c.setup.Admin.UserPrincipalName, err)
	}
	c.report(catalog, tok.ExpiresAt)
	return c.m.printToken(secret)
}

// report says what was made, before the token's line.
func (c *tenantCreateCommand) report(catalog *allot.Catalog, expires time.Time) {
	t, a := c.setup.Tenant, c.setup.Admin
	fmt.Fprintf(c.m.Stdout, "allot: created tenant %s (id %s) with the domain %s\n", t.Name, t.ID, t.Domain)
	fmt.Fprintf(c.m.Stdout, "allot: %s (%s) is its Global Administrator\n", a.UserPrincipalName, a.DisplayName)
	for _, s := range c.setup.Subscriptions {
		fmt.Fprintf(c.m.Stdout, "allot: subscribed to %d licenses of %s\n", s.Quantity, catalog.SKU(s.SKUID).PartNumber)
	}
	fmt.Fprintf(c.m.Stdout, "allot: the administrator's access token, valid until %s:\n", expires.UTC().Format(time.RFC3339))
}

// loadCatalog returns the catalog in the JSON file path, or the built-in
// one when path is "".
func loadCatalog(path string) (*allot.Catalog, error) {
	if path == "" {
		return allot.DemoCatalog(), nil
	}
	c, err := allot.LoadCatalog(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return c, nil
}

// subscriptionFlag collects the repeated --subscription SKU:N.
type subscriptionFlag []struct {
	sku string
	n   int
}

// String implements flag.Value.
func (f *subscriptionFlag) String() string {
	var parts []string
	for _, s := range *f {
		parts = append(parts, s.sku+":"+strconv.Itoa(s.n))
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value: it adds one SKU:N, N a positive integer.
func (f *subscriptionFlag) Set(v string) error {
	sku, n, ok := strings.Cut(v, ":")
	q, err := strconv.Atoi(n)
	if !ok || strings.TrimSpace(sku) == "" || err != nil || q < 1 {
		return fmt.Errorf("want SKU:N, a skuPartNumber and a positive number of licenses such as SPE_E3:25, not %q", v)
	}
	*f = append(*f, struct {
		sku string
		n   int
	}{strings.TrimSpace(sku), q})
	return nil
}

// Repeatable lets --subscription be given once per product
// (cli.Repeatable).
func (f *subscriptionFlag) Repeatable() {}

// parseTenantDomain dispatches to "tenant domain add".
func (m *Main) parseTenantDomain(args []string) (command, error) {
	g := &cli.Group[command]{Name: "tenant domain", Usage: tenantDomainUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "add", Parse: m.parseTenantDomainAdd},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// tenantDomainAddCommand is "allot tenant domain add".
type tenantDomainAddCommand struct {
	m      *Main
	dsn    string
	tenant string
	domain allot.Domain
}

func (m *Main) parseTenantDomainAdd(args []string) (command, error) {
	c := &tenantDomainAddCommand{m: m}
	fs := newFlagSet("tenant domain add")
	dbFlag(fs, &c.dsn)
	fs.StringVar(&c.tenant, "tenant", "", "a `domain` the organisation already has, which names it (required)")
	fs.BoolVar(&c.domain.IsDefault, "default", false, "make the new domain the organisation's default")
	if err := m.parseFlags(fs, tenantDomainUsage, args); err != nil {
		return nil, err
	}
	switch {
	case c.tenant == "":
		return nil, &usageError{Msg: "tenant domain add: --tenant is required, e.g. --tenant fabrikam.example"}
	case fs.NArg() != 1:
		return nil, &usageError{Msg: fmt.Sprintf("tenant domain add takes one NEWDOMAIN after the flags, got %d arguments (run 'allot tenant domain add -h' for usage)", fs.NArg())}
	}
	c.domain.Name = fs.Arg(0)
	return c, nil
}

func (c *tenantDomainAddCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	t, err := db.FindTenantByDomain(ctx, c.tenant)
	if allot.ErrorCode(err) == allot.ENOTFOUND {
		return fmt.Errorf("no tenant has the domain %s", c.tenant)
	} else if err != nil {
		return err
	}
	if err := db.AddDomain(ctx, t.ID, &c.domain); err != nil {
		return err
	}
	what := "a domain"
	if c.domain.IsDefault {
		what = "the default domain"
	}
	_, err = fmt.Fprintf(c.m.Stdout, "allot: %s is now %s of %s\n", c.domain.Name, what, t.Name)
	return err
}
