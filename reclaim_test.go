package allot_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestPlanReclaim(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sub := func(id string, q int, daysOld int, st allot.SubscriptionStatus, owner string) *allot.Subscription {
		s := &allot.Subscription{ID: id, SKUID: skuE3, Quantity: q, Status: st, OwnerType: owner, CreatedAt: t0.AddDate(0, 0, -daysOld)}
		if owner == allot.OwnerUser {
			s.PurchasedBy = "buyer"
		}
		return s
	}
	subs := []*allot.Subscription{
		sub("old", 10, 300, allot.StatusEnabled, allot.OwnerAdmin),
		sub("new", 3, 10, allot.StatusEnabled, allot.OwnerAdmin),
		sub("expired", 5, 5, allot.StatusWarning, allot.OwnerAdmin),
		sub("self", 4, 1, allot.StatusEnabled, allot.OwnerUser),
	}
	tests := []struct {
		name string
		pool allot.SeatPool
		want []allot.ReclaimChange
	}{
		{"newest first, then the older one", allot.SeatPool{Capacity: 13, Consumed: 8}, []allot.ReclaimChange{{"new", 3, 0}, {"old", 10, 8}}},
		{"only the newest", allot.SeatPool{Capacity: 13, Consumed: 11}, []allot.ReclaimChange{{"new", 3, 1}}},
		{"everything unused", allot.SeatPool{Capacity: 13}, []allot.ReclaimChange{{"new", 3, 0}, {"old", 10, 0}}},
		{"nothing unused", allot.SeatPool{Capacity: 13, Consumed: 13}, nil},
		{"over-assigned after an expiry", allot.SeatPool{Capacity: 13, Consumed: 15}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allot.PlanReclaim(skuE3, subs, tt.pool)
			if !reflect.DeepEqual(got.Changes, tt.want) {
				t.Errorf("(-want +got):\n-%+v\n+%+v", tt.want, got.Changes)
			}
			if kept := tt.pool.Capacity - got.Reclaimed(); got.Reclaimed() > 0 && kept != tt.pool.Consumed {
				t.Errorf("the pool keeps %d seats, want the %d assigned", kept, tt.pool.Consumed)
			}
		})
	}
}
