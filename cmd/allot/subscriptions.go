package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
)

const subscriptionsUsage = `Usage: allot subscriptions [--output table|json]

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

The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).

Examples:

	allot subscriptions
	allot subscriptions -o json
`

// subscriptionsCommand is "allot subscriptions".
type subscriptionsCommand struct {
	remote *remote
	cl     *client.Client
}

func (m *Main) parseSubscriptions(args []string) (command, error) {
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
