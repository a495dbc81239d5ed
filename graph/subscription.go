package graph

import (
	"net/http"

	"github.com/allot-project/allot"
)

// companySubscription is what a companySubscription is rendered from.
type companySubscription struct {
	s   *allot.Subscription
	sku *allot.SKU
}

// companySubscriptionType renders microsoft.graph.companySubscription.
// skuId is a string here, unlike everywhere else (graph-api.md §0.8).
//
// Decisions (Graph unconfirmed): commerceSubscriptionId is the id;
// ownerType is "Company" or "User"; ownerId is the purchasing user of a
// self-service subscription, else the tenant id; ownerTenantId is the
// tenant id (allot has no partners); serviceStatus lists the SKU's plans.
var companySubscriptionType = &entityType[companySubscription]{
	name: "microsoft.graph.companySubscription",
	props: map[string]func(companySubscription) any{
		"id":                     func(v companySubscription) any { return v.s.ID },
		"commerceSubscriptionId": func(v companySubscription) any { return v.s.ID },
		"createdDateTime":        func(v companySubscription) any { return dateTime(v.s.CreatedAt) },
		"isTrial":                func(v companySubscription) any { return v.s.IsTrial },
		"nextLifecycleDateTime":  func(v companySubscription) any { return dateTime(v.s.NextLifecycleAt) },
		"ownerId": func(v companySubscription) any {
			if v.s.SelfService() {
				return v.s.PurchasedBy
			}
			return v.s.TenantID
		},
		"ownerTenantId": func(v companySubscription) any { return v.s.TenantID },
		"ownerType":     func(v companySubscription) any { return v.s.OwnerType },
		"serviceStatus": func(v companySubscription) any { return servicePlans(v.sku, nil) },
		"skuId":         func(v companySubscription) any { return v.s.SKUID },
		"skuPartNumber": func(v companySubscription) any { return v.sku.PartNumber },
		"status":        func(v companySubscription) any { return string(v.s.Status) },
		"totalLicenses": func(v companySubscription) any { return v.s.Quantity },
	},
	defaults: []string{"id", "commerceSubscriptionId", "createdDateTime", "isTrial", "nextLifecycleDateTime", "ownerId",
		"ownerTenantId", "ownerType", "serviceStatus", "skuId", "skuPartNumber", "status", "totalLicenses"},
}

func (s *Server) registerSubscriptionRoutes() {
	s.route("GET /v1.0/directory/subscriptions", s.listSubscriptions)
	s.route("GET /v1.0/directory/subscriptions/{id}", s.getSubscription)
	s.registerAPISubscriptionRoutes()
}

func (s *Server) subscription(sub *allot.Subscription) companySubscription {
	sku := s.catalog.SKU(sub.SKUID)
	if sku == nil {
		sku = &allot.SKU{ID: sub.SKUID}
	}
	return companySubscription{sub, sku}
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseSelect(r, companySubscriptionType)
	if err != nil {
		return err
	}
	subs, err := s.svc.Subscriptions.FindSubscriptions(r.Context(), principalFrom(r))
	if err != nil {
		return err
	}
	views := make([]companySubscription, len(subs))
	for i, sub := range subs {
		views[i] = s.subscription(sub)
	}
	return sel.writeCollection(w, r, "directory/subscriptions", views)
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseSelect(r, companySubscriptionType)
	if err != nil {
		return err
	}
	sub, err := s.svc.Subscriptions.FindSubscriptionByID(r.Context(), principalFrom(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return sel.writeEntity(w, r, "directory/subscriptions", s.subscription(sub))
}
