package allot

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

// Available returns the seats new assignments may still take in all pools.
func (s *SubscribedSKU) Available() int {
	n := 0
	for _, p := range s.Pools {
		n += p.Available()
	}
	return n
}

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
