package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
)

const skusUsage = `Usage: allot skus [--output table|json]

Skus lists the products the tenant holds, one row per product over all its
subscriptions, as the admin center's Licenses page does (GET
/v1.0/subscribedSkus):

	PRODUCT    the product's name
	SKU        its skuPartNumber, which --sku accepts elsewhere
	TOTAL      licenses that work: prepaid units enabled and in warning
	ASSIGNED   licenses assigned to users
	AVAILABLE  licenses an administrator may still assign (enabled units
	           of admin-managed subscriptions minus those assigned)
	SELF-SERVICE
	           seats of self-service purchases, assigned/bought, which
	           only their purchasers assign ("-" when there are none)

The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).

Examples:

	allot skus
	allot skus --output json | jq '.[] | {skuPartNumber, consumedUnits}'
`

// skusCommand is "allot skus".
type skusCommand struct {
	remote *remote
	cl     *client.Client
}

func (m *Main) parseSKUs(args []string) (command, error) {
	fs := newFlagSet("skus")
	c := &skusCommand{remote: m.remoteFlags(fs)}
	if err := m.parseFlags(fs, skusUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: fmt.Sprintf("skus takes no arguments, got %q (run 'allot skus -h' for usage)", fs.Arg(0))}
	}
	if err := c.remote.finish("skus"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("skus")
	return c, err
}

func (c *skusCommand) run(ctx context.Context) error {
	raws, err := c.cl.List(ctx, c.cl.URL("/v1.0/subscribedSkus", nil), nil, 0)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, rawArray(raws))
	}
	skus, err := client.DecodeAll[subscribedSKU](raws)
	if err != nil {
		return err
	}
	cat := allot.DemoCatalog()
	sort.SliceStable(skus, func(i, j int) bool {
		return productName(cat, skus[i].SKUID, skus[i].SKUPartNumber) < productName(cat, skus[j].SKUID, skus[j].SKUPartNumber)
	})
	t := newTable(out, "PRODUCT", "SKU", "TOTAL", "ASSIGNED", "AVAILABLE", "SELF-SERVICE")
	for _, s := range skus {
		t.row(productName(cat, s.SKUID, s.SKUPartNumber), s.SKUPartNumber,
			fmt.Sprint(s.total()), fmt.Sprint(s.ConsumedUnits), fmt.Sprint(s.available()), s.selfService())
	}
	return t.flush()
}

// subscribedSKU is a row of "allot skus".
type subscribedSKU client.SubscribedSKU

// total is what the Licenses page shows as the product's licenses: those
// that still work.
func (s subscribedSKU) total() int { return s.PrepaidUnits.Enabled + s.PrepaidUnits.Warning }

// available is the licenses an administrator may still assign, never
// negative: self-service seats are their purchasers'.
func (s subscribedSKU) available() int {
	ss := s.SelfServiceUnits
	return max(0, (s.PrepaidUnits.Enabled-ss.Enabled)-(s.ConsumedUnits-ss.Consumed))
}

// selfService is the SELF-SERVICE column: assigned/bought, or "-".
func (s subscribedSKU) selfService() string {
	if ss := s.SelfServiceUnits; ss.Enabled > 0 || ss.Consumed > 0 {
		return fmt.Sprintf("%d/%d", ss.Consumed, ss.Enabled)
	}
	return "-"
}

// productName is a SKU's English name, else its part number, else its
// id. Graph's subscribedSku has no name, so the name comes from cat (the
// embedded catalog), where a SKU's id names the same product everywhere;
// the ids and plans themselves always come from the server.
func productName(cat *allot.Catalog, skuID, part string) string {
	if sku := cat.SKU(skuID); sku != nil {
		return sku.DisplayName.EN
	}
	if part != "" {
		return part
	}
	return skuID
}
