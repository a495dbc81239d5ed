package allot_test

import (
	"testing"

	"github.com/allot-project/allot"
)

func TestCheckSelfServicePurchase(t *testing.T) {
	sku := allot.DemoCatalog().SKU(skuE3)
	tests := []struct {
		name    string
		policy  allot.SelfServicePolicy
		trial   bool
		wantErr *allot.Error
	}{
		{"allowed, paid", allot.PolicyAllowed, false, nil},
		{"allowed, trial", allot.PolicyAllowed, true, nil},
		{"trials, trial", allot.PolicyTrials, true, nil},
		{"trials, paid", allot.PolicyTrials, false, &allot.Error{Code: allot.EFORBIDDEN, SKUID: skuE3, Field: "isTrial", Value: "false"}},
		{"denied", allot.PolicyDenied, true, &allot.Error{Code: allot.EFORBIDDEN, SKUID: skuE3}},
		{"unset is denied", "", false, &allot.Error{Code: allot.EFORBIDDEN, SKUID: skuE3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, allot.CheckSelfServicePurchase(sku, tt.policy, tt.trial), tt.wantErr)
		})
	}
	if _, err := allot.ParseSelfServicePolicy("maybe"); allot.ErrorCode(err) != allot.EINVALID {
		t.Errorf("ParseSelfServicePolicy(maybe) = %v, want EINVALID", err)
	}
}
