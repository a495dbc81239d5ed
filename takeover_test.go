package allot_test

import (
	"testing"

	"github.com/allot-project/allot"
)

func TestCheckTakeover(t *testing.T) {
	c := allot.DemoCatalog()
	self := sub(subE5SS, skuE5, allot.StatusEnabled, 3, buyerID)
	admin := sub("a1", skuE5, allot.StatusEnabled, 5, "")
	other := sub("a2", skuE3, allot.StatusEnabled, 5, "")
	expired := sub("a3", skuE5, allot.StatusWarning, 5, "")
	gone := sub(subE5SS, skuE5, allot.StatusDeleted, 3, buyerID)
	tests := []struct {
		name    string
		s, to   *allot.Subscription
		pool    allot.SeatPool
		moving  int
		wantErr *allot.Error
	}{
		{"admin-managed from now on", self, nil, allot.SeatPool{}, 2, nil},
		{"move with room", self, admin, allot.SeatPool{Capacity: 5, Consumed: 3}, 2, nil},
		{"move without room", self, admin, allot.SeatPool{Capacity: 5, Consumed: 4}, 2,
			&allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: skuE5, SubscriptionID: "a1", Count: 2, Limit: 1}},
		{"another product", self, other, allot.SeatPool{Capacity: 5}, 2,
			&allot.Error{Code: allot.EINVALID, SKUID: skuE3, SubscriptionID: "a2", Field: "moveTo", Value: "a2"}},
		{"to an expired one", self, expired, allot.SeatPool{Capacity: 5}, 2,
			&allot.Error{Code: allot.ECONFLICT, SKUID: skuE5, SubscriptionID: subE5SS, Field: "moveTo", Value: "a3"}},
		{"to another self-service one", self, self, allot.SeatPool{Capacity: 5}, 0,
			&allot.Error{Code: allot.ECONFLICT, SKUID: skuE5, SubscriptionID: subE5SS, Field: "moveTo", Value: subE5SS}},
		{"not self-service", admin, nil, allot.SeatPool{}, 0,
			&allot.Error{Code: allot.ECONFLICT, SKUID: skuE5, SubscriptionID: "a1", Field: "ownerType", Value: allot.OwnerAdmin}},
		{"deleted", gone, nil, allot.SeatPool{}, 0,
			&allot.Error{Code: allot.ECONFLICT, SKUID: skuE5, SubscriptionID: subE5SS, Field: "status", Value: "Deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, allot.CheckTakeover(c, tt.s, tt.to, tt.pool, tt.moving), tt.wantErr)
		})
	}
}
