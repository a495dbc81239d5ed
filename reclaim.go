package allot

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Reclaim is the outcome of reclaiming a product's unused licenses (S3):
// the seats of its admin-managed pool paid for and unassigned, and the
// subscriptions reduced to stop paying for them.
type Reclaim struct {
	SKUID    string
	Unused   int // seats paid for and unassigned before the reclaim
	Assigned int // licenses assigned from the admin pool, kept
	Changes  []ReclaimChange
	DryRun   bool
	// UnusedSince is since when the Unused seats have all been unused
	// (UnusedSince over the product's audit log); zero when nothing is
	// unused or the log read does not go back that far.
	UnusedSince time.Time
}

// ReclaimChange is one subscription reduced by a reclaim.
type ReclaimChange struct {
	SubscriptionID string
	From, To       int // quantities before and after
}

// Reclaimed returns how many licenses the changes remove.
func (r *Reclaim) Reclaimed() int {
	n := 0
	for _, c := range r.Changes {
		n += c.From - c.To
	}
	return n
}

// PlanReclaim decides how to stop paying for the unused seats of a
// product's admin-managed pool: it reduces the pool's Enabled subscriptions
// by the pool's free seats, the subscription bought last first, never
// below what is assigned (the pool keeps exactly its assigned licenses).
// Self-service subscriptions are their purchasers' and stay. subs are the
// product's subscriptions, pool its admin pool with its counters. It
// returns the plan (no change when nothing is unused) and changes nothing;
// the caller applies each change's quantity.
func PlanReclaim(skuID string, subs []*Subscription, pool SeatPool) *Reclaim {
	r := &Reclaim{SKUID: skuID, Unused: pool.Available(), Assigned: pool.Consumed}
	var cands []*Subscription
	for _, s := range subs {
		if s.Pool() == "" && s.Status.TakesAssignments() && s.Quantity > 0 {
			cands = append(cands, s)
		}
	}
	slices.SortFunc(cands, func(a, b *Subscription) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	left := r.Unused
	for _, s := range cands {
		if left == 0 {
			break
		}
		cut := min(left, s.Quantity)
		r.Changes = append(r.Changes, ReclaimChange{SubscriptionID: s.ID, From: s.Quantity, To: s.Quantity - cut})
		left -= cut
	}
	return r
}
