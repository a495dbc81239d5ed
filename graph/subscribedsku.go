package graph

import (
	"net/http"

	"github.com/allot-project/allot"
)

// subscribedSKU is what a subscribedSku is rendered from.
type subscribedSKU struct {
	s      *allot.SubscribedSKU
	tenant *allot.Tenant
}

var subscribedSKUType = &entityType[subscribedSKU]{
	name: "microsoft.graph.subscribedSku",
	props: map[string]func(subscribedSKU) any{
		"id":               func(v subscribedSKU) any { return v.s.TenantID + "_" + v.s.SKU.ID },
		"accountId":        func(v subscribedSKU) any { return v.s.TenantID },
		"accountName":      func(v subscribedSKU) any { return v.tenant.Name },
		"appliesTo":        func(v subscribedSKU) any { return v.s.SKU.AppliesTo },
		"capabilityStatus": func(v subscribedSKU) any { return string(v.s.CapabilityStatus) },
		"consumedUnits":    func(v subscribedSKU) any { return v.s.Consumed },
		"prepaidUnits": func(v subscribedSKU) any {
			u := v.s.Prepaid
			return map[string]int{"enabled": u.Enabled, "suspended": u.Suspended, "warning": u.Warning, "lockedOut": u.LockedOut}
		},
		"selfServiceUnits": func(v subscribedSKU) any {
			capacity, consumed := v.s.SelfServiceSeats()
			return map[string]int{"enabled": capacity, "consumed": consumed}
		},
		"servicePlans":    func(v subscribedSKU) any { return servicePlans(v.s.SKU, nil) },
		"skuId":           func(v subscribedSKU) any { return v.s.SKU.ID },
		"skuPartNumber":   func(v subscribedSKU) any { return v.s.SKU.PartNumber },
		"subscriptionIds": func(v subscribedSKU) any { return nonNil(v.s.SubscriptionIDs) },
	},
	defaults: []string{"id", "accountId", "accountName", "appliesTo", "capabilityStatus", "consumedUnits",
		"prepaidUnits", "selfServiceUnits", "servicePlans", "skuId", "skuPartNumber", "subscriptionIds"},
}

// servicePlanInfo is Graph's servicePlanInfo.
type servicePlanInfo struct {
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
	ProvisioningStatus string `json:"provisioningStatus"`
	AppliesTo          string `json:"appliesTo"`
}

// servicePlans lists a SKU's plans; those in disabled have provisioning
// status "Disabled", the others "Success".
func servicePlans(sku *allot.SKU, disabled []string) []servicePlanInfo {
	out := make([]servicePlanInfo, 0, len(sku.Plans))
	for _, p := range sku.Plans {
		status := "Success"
		for _, d := range disabled {
			if d == p.ID {
				status = "Disabled"
			}
		}
		out = append(out, servicePlanInfo{ServicePlanID: p.ID, ServicePlanName: p.Name, ProvisioningStatus: status, AppliesTo: "User"})
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// registerSubscribedSKURoutes registers /subscribedSkus. Writes are 405:
// Graph's SDK generates POST/PATCH/DELETE builders but the service has no
// such operations (graph-api.md §2.3); only $select is supported.
func (s *Server) registerSubscribedSKURoutes() {
	s.route("GET /v1.0/subscribedSkus", s.listSubscribedSKUs)
	s.route("GET /v1.0/subscribedSkus/{id}", s.getSubscribedSKU)
}

func (s *Server) listSubscribedSKUs(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseSelect(r, subscribedSKUType)
	if err != nil {
		return err
	}
	e, err := s.tenantSKUs(r, principalFrom(r))
	if err != nil {
		return err
	}
	if sel.sel == nil {
		return writeSKUCollection(w, r, e.value) // skucache.go
	}
	views := make([]subscribedSKU, len(e.skus))
	for i, sku := range e.skus {
		views[i] = subscribedSKU{sku, e.tenant}
	}
	return sel.writeCollection(w, r, "subscribedSkus", views)
}

// getSubscribedSKU finds one subscribedSku by its id "{tenantId}_{skuId}";
// a bare skuId (and, as an allot extension, a skuPartNumber) is accepted
// too. Another tenant's id is 404.
func (s *Server) getSubscribedSKU(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseSelect(r, subscribedSKUType)
	if err != nil {
		return err
	}
	p := principalFrom(r)
	sku, err := s.svc.Subscriptions.FindSubscribedSKU(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	tenant, err := s.svc.Tenants.FindTenantByID(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	return sel.writeEntity(w, r, "subscribedSkus", subscribedSKU{sku, tenant})
}
