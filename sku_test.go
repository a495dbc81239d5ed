package allot_test

import (
	"testing"

	"github.com/allot-project/allot"
)

func TestAggregateSKUs(t *testing.T) {
	c := allot.DemoCatalog()
	subs := []*allot.Subscription{
		sub("s1", skuPremium, allot.StatusEnabled, 5, ""), sub("s2", skuPremium, allot.StatusEnabled, 8, ""),
		sub("s3", skuE3, allot.StatusSuspended, 4, ""), sub("s4", skuE3, allot.StatusWarning, 2, ""),
		sub(subE5SS, skuE5, allot.StatusEnabled, 1, buyerID), sub("s6", skuUnknown, allot.StatusEnabled, 9, ""),
	}
	pools := map[string][]allot.SeatPool{
		skuPremium: {{Capacity: 13, Consumed: 3}},
		skuE3:      {{Capacity: 0, Consumed: 2}},
		skuE5:      {{SubscriptionID: subE5SS, PurchasedBy: buyerID, Capacity: 1, Consumed: 1}},
	}
	type row struct {
		SKU                        string
		Status                     allot.SubscriptionStatus
		Prepaid                    allot.LicenseUnits
		Consumed, Total, Available int
		Subscriptions              int
	}
	var got []row
	for _, s := range allot.AggregateSKUs(c, testTenant, subs, pools) {
		got = append(got, row{s.SKU.ID, s.CapabilityStatus, s.Prepaid, s.Consumed, s.Total(), s.Available(), len(s.SubscriptionIDs)})
	}
	want := []row{ // by English name; the SKU missing from the catalog hidden
		{skuPremium, allot.StatusEnabled, allot.LicenseUnits{Enabled: 13}, 3, 13, 10, 2},
		{skuE3, allot.StatusWarning, allot.LicenseUnits{Warning: 2, Suspended: 4}, 2, 2, 0, 2},
		{skuE5, allot.StatusEnabled, allot.LicenseUnits{Enabled: 1}, 1, 1, 0, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("aggregate (-want +got):\n-%+v\n+%+v", want, got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d (-want +got):\n-%+v\n+%+v", i, want[i], got[i])
		}
	}
}

// TestSelfServiceCountedApart checks that the seats of a self-service
// purchase, which administrators are refused, are counted apart and never
// in what an administrator may assign.
func TestSelfServiceCountedApart(t *testing.T) {
	subs := []*allot.Subscription{sub("s1", skuE5, allot.StatusEnabled, 2, ""), sub(subE5SS, skuE5, allot.StatusEnabled, 3, buyerID)}
	pools := map[string][]allot.SeatPool{skuE5: {{Capacity: 2, Consumed: 1}, {SubscriptionID: subE5SS, PurchasedBy: buyerID, Capacity: 3, Consumed: 1}}}
	s := allot.AggregateSKUs(allot.DemoCatalog(), testTenant, subs, pools)[0]
	capacity, consumed := s.SelfServiceSeats()
	type counts struct {
		Total, Consumed, Available, SelfServiceCapacity, SelfServiceConsumed int
		SelfService                                                          allot.LicenseUnits
	}
	got := counts{s.Total(), s.Consumed, s.Available(), capacity, consumed, s.SelfService}
	want := counts{5, 2, 1, 3, 1, allot.LicenseUnits{Enabled: 3}}
	if got != want {
		t.Errorf("(-want +got):\n-%+v\n+%+v", want, got)
	}
}
