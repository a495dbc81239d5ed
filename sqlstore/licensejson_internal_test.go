package sqlstore

import (
	"encoding/json"
	"testing"

	"github.com/allot-project/allot"
)

// TestLicenseJSON keeps the audit record of a license byte for byte what
// json.Marshal wrote for it before it was written directly, so that old
// and new audit rows read alike: keys sorted, no disabled plans as null,
// none as [], and strings that need escaping escaped as json.Marshal does.
func TestLicenseJSON(t *testing.T) {
	tests := []struct {
		name string
		l    allot.License
	}{
		{"admin pool, no plans", allot.License{SKUID: "6fd2c87f-b296-42f0-b197-1e91e994b900", DisabledPlans: []string{}}},
		{"plans nil", allot.License{SKUID: "6fd2c87f-b296-42f0-b197-1e91e994b900"}},
		{"plans and pool", allot.License{SKUID: "6fd2c87f-b296-42f0-b197-1e91e994b900", SubscriptionID: "0b6c1a2e-0f3c-4a6e-9b53-2b7a3f2b1c11",
			DisabledPlans: []string{"0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "efb87545-963c-4e0d-99df-69c6916d9eb0"}}},
		{"escapes", allot.License{SKUID: `a"b\c<d>&é` + "\u2028\x01", SubscriptionID: "x y", DisabledPlans: []string{"</script>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(map[string]any{"skuId": tt.l.SKUID, "disabledPlans": tt.l.DisabledPlans, "subscriptionId": tt.l.SubscriptionID})
			if err != nil {
				t.Fatal(err)
			}
			got, err := marshalOrEmpty(licenseJSON(tt.l))
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("licenseJSON:\n got %s\nwant %s", got, want)
			}
		})
	}
}
