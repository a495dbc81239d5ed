package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
	AVAILABLE  licenses left to assign (enabled units minus assigned)

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
	t := newTable(out, "PRODUCT", "SKU", "TOTAL", "ASSIGNED", "AVAILABLE")
	for _, s := range skus {
		t.row(productName(cat, s.SKUID, s.SKUPartNumber), s.SKUPartNumber,
			fmt.Sprint(s.total()), fmt.Sprint(s.ConsumedUnits), fmt.Sprint(s.available()))
	}
	return t.flush()
}

// subscribedSKU is a row of "allot skus".
type subscribedSKU client.SubscribedSKU

// total is what the Licenses page shows as the product's licenses: those
// that still work.
func (s subscribedSKU) total() int { return s.PrepaidUnits.Enabled + s.PrepaidUnits.Warning }

// available is the licenses left to assign, never negative.
func (s subscribedSKU) available() int { return max(0, s.PrepaidUnits.Enabled-s.ConsumedUnits) }

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

// skuRef is a SKU named on the command line, resolved.
type skuRef struct {
	ID   string // skuId GUID
	Part string // skuPartNumber, or the id when unknown
	Name string // English name, or the part number
	// plans maps the SKU's service plan names (upper case) to their ids.
	plans map[string]string
}

// skuResolver turns the SKU part numbers and plan names of the command
// line into GUIDs, and GUIDs into part numbers, from the server's catalog
// as the tenant's subscribedSkus show it, which it fetches at most once:
// a server started with its own --catalog is understood.
type skuResolver struct {
	cl     *client.Client
	server []client.SubscribedSKU
	loaded bool
}

func newSKUResolver(cl *client.Client) *skuResolver {
	return &skuResolver{cl: cl}
}

// serverSKUs returns the tenant's subscribed SKUs.
func (r *skuResolver) serverSKUs(ctx context.Context) ([]client.SubscribedSKU, error) {
	if r.loaded {
		return r.server, nil
	}
	skus, err := r.cl.SubscribedSKUs(ctx, "skuId", "skuPartNumber", "servicePlans")
	if err != nil {
		return nil, err
	}
	r.server, r.loaded = skus, true
	return skus, nil
}

// find resolves a skuPartNumber or skuId among the tenant's products
// first, then in the embedded catalog (a product the tenant does not
// hold); another GUID is passed through for the server to judge, another
// part number is an error.
func (r *skuResolver) find(ctx context.Context, arg string) (*skuRef, error) {
	skus, err := r.serverSKUs(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range skus {
		if strings.EqualFold(s.SKUID, arg) || strings.EqualFold(s.SKUPartNumber, arg) {
			id := strings.ToLower(s.SKUID)
			ref := &skuRef{ID: id, Part: s.SKUPartNumber, Name: productName(allot.DemoCatalog(), id, s.SKUPartNumber), plans: map[string]string{}}
			for _, p := range s.ServicePlans {
				ref.plans[strings.ToUpper(p.ServicePlanName)] = strings.ToLower(p.ServicePlanID)
			}
			return ref, nil
		}
	}
	if sku := allot.DemoCatalog().FindSKU(arg); sku != nil {
		// A product the tenant does not hold: the server refuses it, as
		// Graph does, in words the user knows.
		ref := &skuRef{ID: sku.ID, Part: sku.PartNumber, Name: sku.DisplayName.EN, plans: map[string]string{}}
		for _, p := range sku.Plans {
			ref.plans[strings.ToUpper(p.Name)] = p.ID
		}
		return ref, nil
	}
	if allot.IsGUID(arg) {
		id := strings.ToLower(arg)
		return &skuRef{ID: id, Part: id, Name: id, plans: map[string]string{}}, nil
	}
	return nil, fmt.Errorf("unknown SKU %q: it is neither in the catalog nor among the tenant's products (run 'allot skus' for their part numbers)", arg)
}

// plan resolves a service plan name or id of the SKU.
func (ref *skuRef) plan(arg string) (string, error) {
	if allot.IsGUID(arg) {
		return strings.ToLower(arg), nil
	}
	if id, ok := ref.plans[strings.ToUpper(arg)]; ok {
		return id, nil
	}
	names := make([]string, 0, len(ref.plans))
	for n := range ref.plans {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "", fmt.Errorf("service plan %q: the plans of %s are unknown; give the servicePlanId GUID", arg, ref.Part)
	}
	return "", fmt.Errorf("service plan %q is not part of %s, whose plans are %s", arg, ref.Part, strings.Join(names, ", "))
}

// partNumber returns the part number of a skuId for display: from the
// tenant's SKUs, else the id itself.
func (r *skuResolver) partNumber(ctx context.Context, id string) string {
	if skus, err := r.serverSKUs(ctx); err == nil {
		for _, s := range skus {
			if strings.EqualFold(s.SKUID, id) {
				return s.SKUPartNumber
			}
		}
	}
	return id
}
