package allot

import (
	"fmt"
	"slices"
	"strings"
)

// AssignableUnits returns the units the subscription adds to its seat
// pool's capacity: its quantity while its status takes assignments
// (Enabled), else none.
func (s *Subscription) AssignableUnits() int {
	if s.Status.TakesAssignments() {
		return s.Quantity
	}
	return 0
}

// SeatPools returns the seat pools that subs make, per skuId, each pool
// ordered by subscription id (the admin pool "" first). A pool's capacity is
// the sum of its subscriptions' AssignableUnits, so a pool exists as soon as
// one subscription backs it, even one without Enabled units. Consumed is
// left zero: it counts assignments, which subscriptions do not know.
func SeatPools(subs []*Subscription) map[string][]SeatPool {
	out := map[string][]SeatPool{}
	for _, s := range subs {
		ps := out[s.SKUID]
		i := slices.IndexFunc(ps, func(sp SeatPool) bool { return sp.SubscriptionID == s.Pool() })
		if i < 0 {
			ps = append(ps, SeatPool{SubscriptionID: s.Pool()})
			if s.SelfService() {
				ps[len(ps)-1].PurchasedBy = s.PurchasedBy
			}
			i = len(ps) - 1
		}
		ps[i].Capacity += s.AssignableUnits()
		out[s.SKUID] = ps
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b SeatPool) int { return strings.Compare(a.SubscriptionID, b.SubscriptionID) })
	}
	return out
}

// FindPool returns the pool of pools whose subscription id is pool ("" for
// the admin pool), and whether there is one.
func FindPool(pools []SeatPool, pool string) (SeatPool, bool) {
	i := slices.IndexFunc(pools, func(sp SeatPool) bool { return sp.SubscriptionID == pool })
	if i < 0 {
		return SeatPool{}, false
	}
	return pools[i], true
}

// CountAssignments adds to pools' Consumed the licenses users hold (an
// import, which writes assignments as given). It returns EINVALID for a
// license from a pool that no subscription backs, and changes nothing then.
func CountAssignments(pools map[string][]SeatPool, users []*User) error {
	type key struct{ sku, pool string }
	consumed := map[key]int{}
	for _, u := range users {
		for _, l := range u.Licenses {
			if _, ok := FindPool(pools[l.SKUID], l.Pool()); !ok {
				return &Error{Code: EINVALID, UserID: u.ID, SKUID: l.SKUID, SubscriptionID: l.SubscriptionID,
					Message: fmt.Sprintf("User %s holds %s from a pool no imported subscription backs.", u.UserPrincipalName, l.SKUID)}
			}
			consumed[key{l.SKUID, l.Pool()}]++
		}
	}
	for sku, ps := range pools {
		for i := range ps {
			ps[i].Consumed += consumed[key{sku, ps[i].SubscriptionID}]
		}
	}
	return nil
}

// TakeSeats reports whether n more seats fit in the pool: a pool gives out
// seats while Consumed stays at most Capacity. Giving seats back (n <= 0)
// always fits. Stores enforce the same rule atomically when they write.
func (p SeatPool) TakeSeats(n int) bool { return n <= 0 || p.Consumed+n <= p.Capacity }

// SeatsError is the ECOUNTVIOLATION of a pool of skuID without asked free
// seats; free is how many were left.
func SeatsError(skuID string, asked, free int) *Error {
	return &Error{Code: ECOUNTVIOLATION, SKUID: skuID, Count: asked, Limit: max(0, free),
		Message: fmt.Sprintf("Subscription with SKU %s does not have any available licenses.", skuID)}
}

// CheckCapacity returns ECOUNTVIOLATION when a change to subscription s by
// p leaves its pool sp with fewer seats than are assigned: an administrator
// cannot reduce a quantity below what is assigned, while the system
// (lifecycle timers) may. sp is the pool after the change.
func CheckCapacity(c *Catalog, p Principal, s *Subscription, sp SeatPool) error {
	if p.System || sp.Consumed <= sp.Capacity {
		return nil
	}
	name := s.SKUID
	if sku := c.SKU(s.SKUID); sku != nil {
		name = sku.DisplayName.EN
	}
	return &Error{Code: ECOUNTVIOLATION, SKUID: s.SKUID, SubscriptionID: s.ID, Count: sp.Consumed, Limit: sp.Capacity,
		Message: fmt.Sprintf("%d licenses of %s are assigned, more than the %d that would remain: unassign %d licenses of %s first.",
			sp.Consumed, name, sp.Capacity, sp.Consumed-sp.Capacity, name)}
}
