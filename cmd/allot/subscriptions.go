package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/cli"
)

const subscriptionsUsage = `Usage: allot subscriptions [list] [--output table|json]
       allot subscriptions show ID
       allot subscriptions buy SKU N [--trial] [--term P1M|P1Y] [--self-service] [--dry-run]
       allot subscriptions add ID N [--dry-run]
       allot subscriptions remove ID N [--dry-run]
       allot subscriptions cancel ID [--dry-run]
       allot subscriptions renew ID [--dry-run]
       allot subscriptions autorenew ID on|off [--dry-run]
       allot subscriptions extend-trial ID [--dry-run]
       allot subscriptions takeover ID [--move-to ID] [--dry-run]
       allot subscriptions reclaim SKU [--dry-run]

Subscriptions lists the tenant's subscriptions, one row per purchase, as the
admin center's Your products page does (GET /v1.0/directory/subscriptions):

	ID              the subscription's id
	PRODUCT         the product's name
	STATUS          Enabled, Warning, Suspended, LockedOut or Deleted
	LICENSES        the quantity bought
	TRIAL           yes for a trial
	CREATED         the day it was bought
	NEXT LIFECYCLE  the day it moves to its next status unless renewed
	OWNER           admins, or the user who bought it (self-service)

	list    the table above (the default)
	show    one subscription: term, commitment end, cancellation window, renewal
	buy     buy N licenses of a product (SKU: skuPartNumber or skuId) for a
	        month (P1M, the default) or a year (P1Y), or a 30-day --trial;
	        the licenses are assignable at once. --self-service buys for
	        yourself, as an ordinary user, where the organization's
	        policy allows it (allot policy self-service); you then assign
	        its licenses, administrators cannot until they take it over
	add     add N licenses to subscription ID
	remove  remove N licenses from subscription ID; refused while more
	        licenses of the product are assigned than would remain
	cancel  cancel subscription ID at once, within its cancellation window
	        (7 days after purchase or renewal); its seats leave the product.
	        Later, turn auto-renew off instead
	renew   renew subscription ID: an expired one starts a new term now, a
	        trial converts to paid, an active one has auto-renew turned on
	autorenew
	        on: the subscription renews at the end of its term; off: it
	        ends then (Warning 30 days, Suspended 90 days, then Deleted)
	extend-trial
	        extend a trial by its trial length, once
	takeover
	        take over a self-service purchase: administrators then manage
	        its licenses (its seats join the product's); with --move-to,
	        its users move to that admin-managed subscription of the same
	        product, which needs the free seats, and it is cancelled
	reclaim stop paying for a product's unused licenses: its admin-managed
	        subscriptions are reduced by the licenses nobody is assigned,
	        the newest subscription first, never below what is assigned
	        (--dry-run first shows which and by how many)

Buying and changing need a Billing or Global Administrator's token.
--dry-run has the server check the change and say what it would do,
changing nothing. A refusal exits with status 1.

The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).

Examples:

	allot subscriptions
	allot subscriptions -o json
	allot subscriptions buy ENTERPRISEPACK 10 --term P1Y
	allot subscriptions remove 8f2c…e1 3 --dry-run
`

// subscriptionsCommand is "allot subscriptions".
type subscriptionsCommand struct {
	remote *remote
	cl     *client.Client
}

// parseSubscriptions runs "allot subscriptions" and its flags as "list",
// and dispatches to the subcommands.
func (m *Main) parseSubscriptions(args []string) (command, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != cli.DescribeArg {
		return m.parseSubscriptionsList(args)
	}
	g := &cli.Group[command]{Name: "subscriptions", Usage: subscriptionsUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "list", Parse: m.parseSubscriptionsList},
		{Name: "show", Parse: m.parseSubscriptionShow},
		{Name: "buy", Parse: m.parseSubscriptionBuy},
		{Name: "add", Parse: func(args []string) (command, error) { return m.parseSubscriptionChange("add", args) }},
		{Name: "remove", Parse: func(args []string) (command, error) { return m.parseSubscriptionChange("remove", args) }},
		{Name: "cancel", Parse: func(args []string) (command, error) { return m.parseSubscriptionLife("cancel", args) }},
		{Name: "renew", Parse: func(args []string) (command, error) { return m.parseSubscriptionLife("renew", args) }},
		{Name: "autorenew", Parse: func(args []string) (command, error) { return m.parseSubscriptionLife("autorenew", args) }},
		{Name: "extend-trial", Parse: func(args []string) (command, error) { return m.parseSubscriptionLife("extend-trial", args) }},
		{Name: "takeover", Parse: m.parseSubscriptionTakeover},
		{Name: "reclaim", Parse: m.parseSubscriptionReclaim},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

func (m *Main) parseSubscriptionsList(args []string) (command, error) {
	fs := newFlagSet("subscriptions")
	c := &subscriptionsCommand{remote: m.remoteFlags(fs)}
	if err := m.parseFlags(fs, subscriptionsUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: fmt.Sprintf("subscriptions takes no arguments, got %q (run 'allot subscriptions -h' for usage)", fs.Arg(0))}
	}
	if err := c.remote.finish("subscriptions"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("subscriptions")
	return c, err
}

// companySubscription is the part of Graph's companySubscription the CLI
// reads.
type companySubscription struct {
	ID                    string `json:"id"`
	SKUID                 string `json:"skuId"`
	SKUPartNumber         string `json:"skuPartNumber"`
	Status                string `json:"status"`
	TotalLicenses         int    `json:"totalLicenses"`
	IsTrial               bool   `json:"isTrial"`
	CreatedDateTime       string `json:"createdDateTime"`
	NextLifecycleDateTime string `json:"nextLifecycleDateTime"`
	OwnerID               string `json:"ownerId"`
	OwnerType             string `json:"ownerType"`
}

func (c *subscriptionsCommand) run(ctx context.Context) error {
	raws, err := c.cl.List(ctx, c.cl.URL("/v1.0/directory/subscriptions", nil), nil, 0)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, rawArray(raws))
	}
	subs, err := client.DecodeAll[companySubscription](raws)
	if err != nil {
		return err
	}
	cat := allot.DemoCatalog()
	t := newTable(out, "ID", "PRODUCT", "STATUS", "LICENSES", "TRIAL", "CREATED", "NEXT LIFECYCLE", "OWNER")
	for _, s := range subs {
		trial := "no"
		if s.IsTrial {
			trial = "yes"
		}
		t.row(s.ID, productName(cat, s.SKUID, s.SKUPartNumber), s.Status, fmt.Sprint(s.TotalLicenses), trial,
			date(s.CreatedDateTime), date(s.NextLifecycleDateTime), c.owner(ctx, s))
	}
	return t.flush()
}

// owner names who manages a subscription: "admins" for the tenant's own,
// the purchaser's userPrincipalName for a self-service purchase (its id
// when it cannot be read).
func (c *subscriptionsCommand) owner(ctx context.Context, s companySubscription) string {
	switch s.OwnerType {
	case allot.OwnerAdmin:
		return "admins"
	case allot.OwnerUser:
		var u struct {
			UPN string `json:"userPrincipalName"`
		}
		err := c.cl.Get(ctx, c.cl.URL("/v1.0/users/"+url.PathEscape(s.OwnerID), client.Query{"$select": "userPrincipalName"}), nil, &u)
		if err != nil || u.UPN == "" {
			return s.OwnerID + " (self-service)"
		}
		return u.UPN + " (self-service)"
	}
	return orDash(s.OwnerType)
}
