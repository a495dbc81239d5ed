package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/allot-project/allot/graph"
)

// SubscriptionsPath is allot's subscription resource.
const SubscriptionsPath = "/api/subscriptions"

// Subscriptions lists the tenant's subscriptions.
func (c *Client) Subscriptions(ctx context.Context) ([]graph.SubscriptionInfo, error) {
	var out struct {
		Value []graph.SubscriptionInfo `json:"value"`
	}
	return out.Value, c.Get(ctx, c.URL(SubscriptionsPath, nil), nil, &out)
}

// Subscription returns the subscription with the id.
func (c *Client) Subscription(ctx context.Context, id string) (*graph.SubscriptionInfo, error) {
	var s graph.SubscriptionInfo
	return &s, c.Get(ctx, c.URL(SubscriptionsPath+"/"+url.PathEscape(id), nil), nil, &s)
}

// BuySubscription buys a subscription (with DryRun, says what it would buy)
// and returns it.
func (c *Client) BuySubscription(ctx context.Context, order graph.SubscriptionOrder) (*graph.SubscriptionInfo, error) {
	var s graph.SubscriptionInfo
	return &s, c.Post(ctx, c.URL(SubscriptionsPath, nil), order, &s)
}

// UpdateSubscription changes a subscription's quantity or auto-renewal
// (with DryRun, says what the change would make) and returns it.
func (c *Client) UpdateSubscription(ctx context.Context, id string, patch graph.SubscriptionPatch) (*graph.SubscriptionInfo, error) {
	var s graph.SubscriptionInfo
	return &s, c.Do(ctx, http.MethodPatch, c.URL(SubscriptionsPath+"/"+url.PathEscape(id), nil), nil, patch, &s)
}

// TakeOverSubscription takes over a self-service subscription (with
// DryRun, says what the takeover would make) and returns it.
func (c *Client) TakeOverSubscription(ctx context.Context, id string, req graph.TakeoverRequest) (*graph.SubscriptionInfo, error) {
	var s graph.SubscriptionInfo
	return &s, c.Post(ctx, c.URL(SubscriptionsPath+"/"+url.PathEscape(id)+"/takeover", nil), req, &s)
}

// ReclaimLicenses stops paying for a product's unused licenses (with
// DryRun, says what it would reduce) and returns the outcome.
func (c *Client) ReclaimLicenses(ctx context.Context, req graph.ReclaimRequest) (*graph.ReclaimInfo, error) {
	var r graph.ReclaimInfo
	return &r, c.Post(ctx, c.URL(SubscriptionsPath+"/reclaim", nil), req, &r)
}

// PoliciesPath is allot's resource of self-service policies.
const PoliciesPath = "/api/policies/selfService"

// SelfServicePolicies lists the self-service policy of every product.
func (c *Client) SelfServicePolicies(ctx context.Context) ([]graph.ProductPolicyInfo, error) {
	var out struct {
		Value []graph.ProductPolicyInfo `json:"value"`
	}
	return out.Value, c.Get(ctx, c.URL(PoliciesPath, nil), nil, &out)
}

// SetSelfServicePolicy sets a product's self-service policy (with DryRun,
// checks it) and returns it.
func (c *Client) SetSelfServicePolicy(ctx context.Context, sku string, patch graph.PolicyPatch) (*graph.ProductPolicyInfo, error) {
	var p graph.ProductPolicyInfo
	return &p, c.Do(ctx, http.MethodPatch, c.URL(PoliciesPath+"/"+url.PathEscape(sku), nil), nil, patch, &p)
}

// BuySelfService buys a subscription for the signed-in user themselves
// (with DryRun, says what it would buy), where the organization's
// self-service policy allows it.
func (c *Client) BuySelfService(ctx context.Context, order graph.SubscriptionOrder) (*graph.SubscriptionInfo, error) {
	var s graph.SubscriptionInfo
	return &s, c.Post(ctx, c.URL(SubscriptionsPath+"/selfService", nil), order, &s)
}
