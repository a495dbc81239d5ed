package allot_test

import (
	"reflect"
	"testing"

	"github.com/allot-project/allot"
)

// sub returns a subscription of a SKU; buyer "" makes it the company's.
func sub(id, sku string, status allot.SubscriptionStatus, quantity int, buyer string) *allot.Subscription {
	s := &allot.Subscription{ID: id, TenantID: testTenant, SKUID: sku, Status: status, Quantity: quantity, OwnerType: allot.OwnerAdmin}
	if buyer != "" {
		s.OwnerType, s.PurchasedBy = allot.OwnerUser, buyer
	}
	return s
}

func TestSeatPools(t *testing.T) {
	tests := []struct {
		name string
		subs []*allot.Subscription
		want map[string][]allot.SeatPool
	}{
		{"none", nil, map[string][]allot.SeatPool{}},
		{"company subscriptions pool together", []*allot.Subscription{
			sub("s1", skuPremium, allot.StatusEnabled, 5, ""), sub("s2", skuPremium, allot.StatusEnabled, 8, ""),
		}, map[string][]allot.SeatPool{skuPremium: {{Capacity: 13}}}},
		{"only Enabled units are assignable", []*allot.Subscription{
			sub("s1", skuE3, allot.StatusEnabled, 5, ""), sub("s2", skuE3, allot.StatusWarning, 7, ""),
			sub("s3", skuE3, allot.StatusSuspended, 11, ""), sub("s4", skuE3, allot.StatusLockedOut, 13, ""),
			sub("s5", skuE3, allot.StatusDeleted, 17, ""),
		}, map[string][]allot.SeatPool{skuE3: {{Capacity: 5}}}},
		{"a pool without Enabled units exists", []*allot.Subscription{sub("s1", skuE3, allot.StatusWarning, 7, "")},
			map[string][]allot.SeatPool{skuE3: {{Capacity: 0}}}},
		{"a self-service subscription is a pool of its own, after the admin pool", []*allot.Subscription{
			sub(subE5SS, skuE5, allot.StatusEnabled, 1, buyerID), sub("s2", skuE5, allot.StatusEnabled, 5, ""),
			sub(subBasicSS, skuBasic, allot.StatusSuspended, 2, buyerID),
		}, map[string][]allot.SeatPool{
			skuE5:    {{Capacity: 5}, {SubscriptionID: subE5SS, PurchasedBy: buyerID, Capacity: 1}},
			skuBasic: {{SubscriptionID: subBasicSS, PurchasedBy: buyerID}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allot.SeatPools(tt.subs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SeatPools (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
}

func TestCountAssignments(t *testing.T) {
	subs := []*allot.Subscription{sub("s1", skuE3, allot.StatusEnabled, 5, ""), sub(subE5SS, skuE5, allot.StatusEnabled, 1, buyerID)}
	tests := []struct {
		name    string
		users   []*allot.User
		want    map[string][]allot.SeatPool
		wantErr *allot.Error
	}{
		{"counted per pool", []*allot.User{
			user(holderID, "FR", lic(skuE3, ""), lic(skuE5, subE5SS)), user(freshUserID, "FR", lic(skuE3, "")),
		}, map[string][]allot.SeatPool{
			skuE3: {{Capacity: 5, Consumed: 2}}, skuE5: {{SubscriptionID: subE5SS, PurchasedBy: buyerID, Capacity: 1, Consumed: 1}},
		}, nil},
		{"a license no subscription backs", []*allot.User{user(holderID, "FR", lic(skuE3, "")), user(freshUserID, "FR", lic(skuE5, ""))},
			map[string][]allot.SeatPool{skuE3: {{Capacity: 5}}, skuE5: {{SubscriptionID: subE5SS, PurchasedBy: buyerID, Capacity: 1}}},
			&allot.Error{Code: allot.EINVALID, UserID: freshUserID, SKUID: skuE5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pools := allot.SeatPools(subs)
			wantError(t, allot.CountAssignments(pools, tt.users), tt.wantErr)
			if !reflect.DeepEqual(pools, tt.want) {
				t.Errorf("pools (-want +got):\n-%+v\n+%+v", tt.want, pools)
			}
		})
	}
}

func TestTakeSeats(t *testing.T) {
	tests := []struct {
		name string
		pool allot.SeatPool
		n    int
		want bool
	}{
		{"free seat", allot.SeatPool{Capacity: 2, Consumed: 1}, 1, true},
		{"last seats", allot.SeatPool{Capacity: 5, Consumed: 2}, 3, true},
		{"one too many", allot.SeatPool{Capacity: 5, Consumed: 2}, 4, false},
		{"full", allot.SeatPool{Capacity: 2, Consumed: 2}, 1, false},
		{"over after a reduction", allot.SeatPool{Capacity: 1, Consumed: 3}, 1, false},
		{"giving back over capacity", allot.SeatPool{Capacity: 1, Consumed: 3}, -1, true},
		{"nothing", allot.SeatPool{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pool.TakeSeats(tt.n); got != tt.want {
				t.Errorf("%+v.TakeSeats(%d) -want +got\n-%v\n+%v", tt.pool, tt.n, tt.want, got)
			}
		})
	}
	wantError(t, allot.SeatsError(skuE3, 2, -3), &allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: skuE3, Count: 2, Limit: 0})
	wantError(t, allot.SeatsError(skuE3, 2, 1), &allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: skuE3, Count: 2, Limit: 1})
}

func TestCheckCapacity(t *testing.T) {
	c := allot.DemoCatalog()
	s := sub("s1", skuE3, allot.StatusEnabled, 3, "")
	billing := principal(adminID, allot.RoleBillingAdmin)
	tests := []struct {
		name string
		p    allot.Principal
		pool allot.SeatPool
		want *allot.Error
	}{
		{"room left", billing, allot.SeatPool{Capacity: 3, Consumed: 2}, nil},
		{"exactly what is assigned", billing, allot.SeatPool{Capacity: 2, Consumed: 2}, nil},
		{"below what is assigned", billing, allot.SeatPool{Capacity: 1, Consumed: 2},
			&allot.Error{Code: allot.ECOUNTVIOLATION, SKUID: skuE3, SubscriptionID: "s1", Count: 2, Limit: 1}},
		{"the system may", allot.SystemPrincipal(testTenant, "lifecycle"), allot.SeatPool{Capacity: 0, Consumed: 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.CheckCapacity(c, tt.p, s, tt.pool), tt.want) })
	}
}

func TestAssignableUnits(t *testing.T) {
	tests := []struct {
		status allot.SubscriptionStatus
		want   int
	}{
		{allot.StatusEnabled, 7}, {allot.StatusWarning, 0}, {allot.StatusSuspended, 0}, {allot.StatusLockedOut, 0}, {allot.StatusDeleted, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			if got := sub("s", skuE3, tt.status, 7, "").AssignableUnits(); got != tt.want {
				t.Errorf("AssignableUnits -want +got\n-%d\n+%d", tt.want, got)
			}
		})
	}
}
