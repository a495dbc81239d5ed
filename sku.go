package allot

import "sort"

// LicenseUnits counts a SKU's prepaid units by the status of the
// subscriptions they come from (Graph's licenseUnitsDetail).
type LicenseUnits struct {
	Enabled   int
	Warning   int
	Suspended int
	LockedOut int
}

// Add counts q units of a subscription in status s.
func (u *LicenseUnits) Add(s SubscriptionStatus, q int) {
	switch s {
	case StatusEnabled:
		u.Enabled += q
	case StatusWarning:
		u.Warning += q
	case StatusSuspended:
		u.Suspended += q
	case StatusLockedOut:
		u.LockedOut += q
	}
}

// SeatPool is one independent set of seats of a SKU: the tenant's
// admin-managed pool (SubscriptionID "") or one self-service subscription.
type SeatPool struct {
	SubscriptionID string // "" for the admin-managed pool
	PurchasedBy    string // the purchasing user of a self-service pool
	Capacity       int    // units that new assignments may take (Enabled subscriptions)
	Consumed       int    // assignments drawn from the pool
}

// Available returns the seats left for new assignments, never negative.
func (p SeatPool) Available() int { return max(0, p.Capacity-p.Consumed) }

// SubscribedSKU is a tenant's aggregate view of one product over all its
// subscriptions.
type SubscribedSKU struct {
	TenantID         string
	SKU              *SKU
	CapabilityStatus SubscriptionStatus // the best status among its subscriptions
	Prepaid          LicenseUnits
	Consumed         int // users holding the SKU, from every pool
	SubscriptionIDs  []string
	Pools            []SeatPool // the admin pool first, then self-service ones
	// SelfService counts apart the units of self-service subscriptions
	// (also in Prepaid), which only their purchasers assign.
	SelfService LicenseUnits
}

// SelfServiceSeats returns the seats of the self-service pools: how many
// their purchasers may assign (capacity) and how many they assigned.
func (s *SubscribedSKU) SelfServiceSeats() (capacity, consumed int) {
	for _, p := range s.Pools {
		if p.SubscriptionID != "" {
			capacity += p.Capacity
			consumed += p.Consumed
		}
	}
	return capacity, consumed
}

// AdminPool returns the admin-managed pool; its zero value when the tenant
// holds only self-service subscriptions of the SKU.
func (s *SubscribedSKU) AdminPool() SeatPool {
	for _, p := range s.Pools {
		if p.SubscriptionID == "" {
			return p
		}
	}
	return SeatPool{}
}

// Total returns the prepaid units of the Licenses view: all units whose
// licenses still work (Enabled and Warning).
func (s *SubscribedSKU) Total() int { return s.Prepaid.Enabled + s.Prepaid.Warning }

// Available returns the seats an administrator may still assign: the free
// seats of the admin-managed pool. Free seats of self-service pools are
// their purchasers' (SelfServiceSeats), so they never count here.
func (s *SubscribedSKU) Available() int { return s.AdminPool().Available() }

// statusRank orders statuses from best to worst for CapabilityStatus.
var statusRank = map[SubscriptionStatus]int{
	StatusEnabled: 0, StatusWarning: 1, StatusSuspended: 2, StatusLockedOut: 3, StatusDeleted: 4,
}

// BetterStatus returns whichever of a and b is closer to Enabled.
func BetterStatus(a, b SubscriptionStatus) SubscriptionStatus {
	if a == "" || statusRank[b] < statusRank[a] {
		return b
	}
	return a
}

// AggregateSKUs makes the Licenses view (Graph's subscribedSkus) of a
// tenant from its subscriptions and its seat pools with their counters,
// never from assignment rows: per SKU, the best status, the prepaid units
// by status (13 = 5 + 8 for two Enabled subscriptions), the seats consumed
// in every pool, ordered by English name. A SKU no longer in the catalog
// stays in the database, hidden.
func AggregateSKUs(c *Catalog, tenantID string, subs []*Subscription, pools map[string][]SeatPool) []*SubscribedSKU {
	bySKU := map[string]*SubscribedSKU{}
	var order []string
	for _, s := range subs {
		agg := bySKU[s.SKUID]
		if agg == nil {
			agg = &SubscribedSKU{TenantID: tenantID, SKU: c.SKU(s.SKUID), Pools: pools[s.SKUID]}
			for _, sp := range agg.Pools {
				agg.Consumed += sp.Consumed
			}
			bySKU[s.SKUID] = agg
			order = append(order, s.SKUID)
		}
		agg.CapabilityStatus = BetterStatus(agg.CapabilityStatus, s.Status)
		agg.Prepaid.Add(s.Status, s.Quantity)
		if s.SelfService() {
			agg.SelfService.Add(s.Status, s.Quantity)
		}
		agg.SubscriptionIDs = append(agg.SubscriptionIDs, s.ID)
	}
	out := make([]*SubscribedSKU, 0, len(order))
	for _, id := range order {
		if bySKU[id].SKU != nil {
			out = append(out, bySKU[id])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SKU.DisplayName.EN < out[j].SKU.DisplayName.EN })
	return out
}
