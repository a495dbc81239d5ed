package allot_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestSubscriptionPurchase(t *testing.T) {
	c := allot.DemoCatalog()
	now := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	week := now.Add(7 * 24 * time.Hour)
	tests := []struct {
		name    string
		pu      allot.SubscriptionPurchase
		want    *allot.Subscription
		wantErr *allot.Error
	}{
		{"by part number, month by default", allot.SubscriptionPurchase{SKU: "enterprisepack", Quantity: 3},
			&allot.Subscription{SKUID: skuE3, Status: allot.StatusEnabled, Quantity: 3, RecurringBilling: true, OwnerType: allot.OwnerAdmin,
				CreatedAt: now, Term: allot.TermMonth, CommitmentEndAt: now.AddDate(0, 1, 0), CancellableUntil: week, NextLifecycleAt: now.AddDate(0, 1, 0)}, nil},
		{"by id, a year", allot.SubscriptionPurchase{SKU: strings.ToUpper(skuE3), Quantity: 1, Term: allot.TermYear},
			&allot.Subscription{SKUID: skuE3, Status: allot.StatusEnabled, Quantity: 1, RecurringBilling: true, OwnerType: allot.OwnerAdmin,
				CreatedAt: now, Term: allot.TermYear, CommitmentEndAt: now.AddDate(1, 0, 0), CancellableUntil: week, NextLifecycleAt: now.AddDate(1, 0, 0)}, nil},
		{"a trial lasts 30 days and does not renew", allot.SubscriptionPurchase{SKU: "ENTERPRISEPACK", Quantity: 25, Trial: true},
			&allot.Subscription{SKUID: skuE3, Status: allot.StatusEnabled, Quantity: 25, IsTrial: true, OwnerType: allot.OwnerAdmin,
				CreatedAt: now, Term: allot.TermMonth, CommitmentEndAt: now.Add(30 * 24 * time.Hour), CancellableUntil: week, NextLifecycleAt: now.Add(30 * 24 * time.Hour)}, nil},
		{"unknown product", allot.SubscriptionPurchase{SKU: "NOPE", Quantity: 1}, nil,
			&allot.Error{Code: allot.EINVALID, Field: "skuId", Value: "NOPE", SKUID: "NOPE"}},
		{"no licenses", allot.SubscriptionPurchase{SKU: skuE3, Quantity: 0}, nil,
			&allot.Error{Code: allot.EINVALID, Field: "quantity", Value: "0"}},
		{"too many", allot.SubscriptionPurchase{SKU: skuE3, Quantity: allot.MaxQuantity + 1}, nil,
			&allot.Error{Code: allot.EINVALID, Field: "quantity", Value: "10000001"}},
		{"unknown term", allot.SubscriptionPurchase{SKU: skuE3, Quantity: 1, Term: "P3Y"}, nil,
			&allot.Error{Code: allot.EINVALID, Field: "termDuration", Value: "P3Y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.pu.Subscription(c, now)
			wantError(t, err, tt.wantErr)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Subscription (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
			if got != nil {
				if err := got.Validate(c); err != nil {
					t.Errorf("bought subscription does not validate: %v", err)
				}
			}
		})
	}
}

func TestCheckCapacityMessage(t *testing.T) {
	s := &allot.Subscription{ID: "s1", SKUID: skuE3, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin}
	err := allot.CheckCapacity(allot.DemoCatalog(), principal(adminID, allot.RoleBillingAdmin), s, allot.SeatPool{Capacity: 2, Consumed: 5})
	want := "5 licenses of Office 365 E3 are assigned, more than the 2 that would remain: unassign 3 licenses of Office 365 E3 first."
	if err == nil || err.(*allot.Error).Message != want {
		t.Errorf("message (-want +got):\n-%s\n+%v", want, err)
	}
}
