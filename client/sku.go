package client

import (
	"context"
	"strings"
)

// SubscribedSKU is the part of Graph's subscribedSku that the client
// reads: a product the tenant holds, with its licenses and service plans.
type SubscribedSKU struct {
	SKUID         string `json:"skuId"`
	SKUPartNumber string `json:"skuPartNumber"`
	ConsumedUnits int    `json:"consumedUnits"`
	PrepaidUnits  struct {
		Enabled   int `json:"enabled"`
		Warning   int `json:"warning"`
		Suspended int `json:"suspended"`
		LockedOut int `json:"lockedOut"`
	} `json:"prepaidUnits"`
	// SelfServiceUnits is allot's extension: the seats of self-service
	// purchases (also in PrepaidUnits and ConsumedUnits), which only their
	// purchasers assign.
	SelfServiceUnits struct {
		Enabled  int `json:"enabled"`
		Consumed int `json:"consumed"`
	} `json:"selfServiceUnits"`
	ServicePlans []ServicePlanInfo `json:"servicePlans"`
}

// ServicePlanInfo is Graph's servicePlanInfo.
type ServicePlanInfo struct {
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
	ProvisioningStatus string `json:"provisioningStatus"`
}

// SubscribedSKUs returns the products the tenant holds
// (GET /v1.0/subscribedSkus), with only the properties named in sel
// ($select), or all of them when sel is empty.
func (c *Client) SubscribedSKUs(ctx context.Context, sel ...string) ([]SubscribedSKU, error) {
	var q Query
	if len(sel) > 0 {
		q = Query{"$select": strings.Join(sel, ",")}
	}
	raws, err := c.List(ctx, c.URL("/v1.0/subscribedSkus", q), nil, 0)
	if err != nil {
		return nil, err
	}
	return DecodeAll[SubscribedSKU](raws)
}
