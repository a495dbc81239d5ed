package allot_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/allot-project/allot"
)

func TestCheck(t *testing.T) {
	c := allot.DemoCatalog()
	teams, exStd := c.ServicePlan(planTeams), c.ServicePlan(planExStd)
	// Pools of subBasicSS are suspended; every other pool grants access.
	access := func(tenantID, skuID, pool string) bool { return pool != subBasicSS }
	ent := func(ls ...allot.License) *allot.Entitlement {
		return &allot.Entitlement{TenantID: testTenant, UserID: holderID, UserPrincipalName: "h@contoso.example", AccountEnabled: true, Licenses: ls}
	}
	blocked, gone := ent(lic(skuE3, "")), ent(lic(skuE3, ""))
	blocked.AccountEnabled, gone.Deleted = false, true
	tests := []struct {
		name string
		e    *allot.Entitlement
		plan *allot.ServicePlan
		want allot.CheckResult
	}{
		{"unknown user", nil, teams, allot.CheckResult{ServicePlanID: planTeams, Reason: allot.ReasonUserNotFound}},
		{"deleted user", gone, teams, allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Reason: allot.ReasonUserDeleted}},
		{"unknown plan", ent(lic(skuE3, "")), nil, allot.CheckResult{UserID: holderID, Reason: allot.ReasonUnknownPlan}},
		{"sign-in blocked", blocked, teams, allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Reason: allot.ReasonSignInBlocked}},
		{"no license", ent(), teams, allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Reason: allot.ReasonNoLicense}},
		{"no license carries the plan", ent(lic(skuExStd, "")), teams, allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Reason: allot.ReasonNoLicense}},
		{"licensed", ent(lic(skuE3, "")), teams, allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Licensed: true, SKUID: skuE3, Reason: allot.ReasonLicensed}},
		{"plan disabled", ent(lic(skuE3, "", planTeams)), teams, allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Reason: allot.ReasonPlanDisabled}},
		{"subscription suspended", ent(lic(skuBasic, subBasicSS)), teams, allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Reason: allot.ReasonSubscriptionSuspended}},
		{"suspended beats disabled", ent(lic(skuE3, "", planTeams), lic(skuBasic, subBasicSS)), teams,
			allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Reason: allot.ReasonSubscriptionSuspended}},
		{"licensed beats suspended and disabled", ent(lic(skuBasic, subBasicSS), lic(skuE3, "", planTeams), lic(skuPremium, "")), teams,
			allot.CheckResult{UserID: holderID, ServicePlanID: planTeams, Licensed: true, SKUID: skuPremium, Reason: allot.ReasonLicensed}},
		{"the smallest granting skuId is named", ent(lic(skuPremium, ""), lic(skuExStd, ""), lic(skuE3, "")), exStd,
			allot.CheckResult{UserID: holderID, ServicePlanID: planExStd, Licensed: true, SKUID: skuExStd, Reason: allot.ReasonLicensed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allot.Check(c, tt.e, tt.plan, access)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
			if tt.e == nil || len(tt.e.Licenses) < 2 {
				return
			}
			// The answer does not depend on the order of the licenses.
			rev := *tt.e
			rev.Licenses = slices.Clone(tt.e.Licenses)
			slices.Reverse(rev.Licenses)
			if got := allot.Check(c, &rev, tt.plan, access); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check, licenses reversed (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
}

func TestValidateChecks(t *testing.T) {
	ok := allot.CheckRequest{User: "u@contoso.example", ServicePlan: "TEAMS1"}
	tests := []struct {
		name string
		reqs []allot.CheckRequest
		want *allot.Error
	}{
		{"one", []allot.CheckRequest{ok}, nil},
		{"the most", slices.Repeat([]allot.CheckRequest{ok}, allot.MaxChecks), nil},
		{"none", nil, &allot.Error{Code: allot.EINVALID, Count: 0, Limit: allot.MaxChecks}},
		{"too many", slices.Repeat([]allot.CheckRequest{ok}, allot.MaxChecks+1), &allot.Error{Code: allot.EINVALID, Count: allot.MaxChecks + 1, Limit: allot.MaxChecks}},
		{"no user", []allot.CheckRequest{ok, {User: " ", ServicePlan: "TEAMS1"}}, &allot.Error{Code: allot.EINVALID, Field: "user", Value: "1"}},
		{"no plan", []allot.CheckRequest{{User: "u@contoso.example"}}, &allot.Error{Code: allot.EINVALID, Field: "servicePlan", Value: "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.ValidateChecks(tt.reqs), tt.want) })
	}
}
