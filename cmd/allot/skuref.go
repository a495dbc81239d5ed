package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/client"
)

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

// serverSKUs returns the tenant's subscribed SKUs; none when the caller
// may not read them (an ordinary user, as the purchaser of a self-service
// subscription assigning its seats), whose SKUs then come from the
// embedded catalog.
func (r *skuResolver) serverSKUs(ctx context.Context) ([]client.SubscribedSKU, error) {
	if r.loaded {
		return r.server, nil
	}
	skus, err := r.cl.SubscribedSKUs(ctx, "skuId", "skuPartNumber", "servicePlans")
	var ge *client.Error
	if errors.As(err, &ge) && ge.Status == http.StatusForbidden {
		skus, err = nil, nil
	}
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
