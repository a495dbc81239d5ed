package allot_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// Catalog ids used by the root tests (the demo catalog).
const (
	skuBasic    = "3b555118-da6a-4418-894f-7df1e2096870" // O365_BUSINESS_ESSENTIALS
	skuPremium  = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46" // SPB
	skuE3       = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK
	skuE5       = "c7df2760-2c81-4ef7-b578-5b5392b571df" // ENTERPRISEPREMIUM
	skuM365E3   = "05e9a617-0261-4cee-bb44-138d3ef5d965" // SPE_E3, not owned below
	skuExStd    = "4b9405b0-7788-4568-add1-99614e613b69" // EXCHANGESTANDARD
	skuExEnt    = "19ec0d23-8335-4cbd-94ac-6050e30712fa" // EXCHANGEENTERPRISE
	skuArchive  = "ee02fd1b-340e-4a4b-b355-4a514e4c8943" // EXCHANGEARCHIVE_ADDON
	skuUnknown  = "00000000-0000-4000-8000-000000000000"
	planExStd   = "9aaf7827-d63c-4b61-89c3-182f06f82e5c" // EXCHANGE_S_STANDARD
	planExEnt   = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
	planTeams   = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1
	subBasicSS  = "5e1f0000-0000-4000-8000-00000000b001" // self-service Business Basic of the buyer
	subE5SS     = "5e1f0000-0000-4000-8000-00000000b002" // self-service E5 of the buyer
	buyerID     = "b0000000-0000-4000-8000-000000000001"
	adminID     = "a0000000-0000-4000-8000-000000000001"
	testTenant  = "70000000-0000-4000-8000-000000000001"
	holderID    = "c0000000-0000-4000-8000-000000000001"
	freshUserID = "c0000000-0000-4000-8000-000000000002"
)

var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// principal returns a user of the test tenant holding roles.
func principal(id string, roles ...allot.Role) allot.Principal {
	return allot.Principal{TenantID: testTenant, UserID: id, Name: id + "@contoso.example", Roles: roles, Via: allot.ChannelAPI}
}

// testPools are the test tenant's seat pools: admin pools of most SKUs,
// Business Basic only from the buyer's self-service subscription, E5 from
// both, and no Microsoft 365 E3.
func testPools() map[string][]allot.SeatPool {
	admin := []allot.SeatPool{{Capacity: 10}}
	return map[string][]allot.SeatPool{
		skuPremium: admin, skuE3: admin, skuExStd: admin, skuExEnt: admin, skuArchive: admin,
		skuBasic: {{SubscriptionID: subBasicSS, PurchasedBy: buyerID, Capacity: 2}},
		skuE5:    {{Capacity: 5}, {SubscriptionID: subE5SS, PurchasedBy: buyerID, Capacity: 1}},
	}
}

// lic returns a license of a SKU from a pool with disabled plans.
func lic(sku, pool string, disabled ...string) allot.License {
	if disabled == nil {
		disabled = []string{}
	}
	return allot.License{SKUID: sku, SubscriptionID: pool, DisabledPlans: disabled, AssignedAt: testNow.Add(-time.Hour)}
}

// newLic is a license the plan adds now.
func newLic(sku, pool string, disabled ...string) allot.License {
	l := lic(sku, pool, disabled...)
	l.AssignedAt = testNow
	return l
}

// user returns an active user with a usage location and licenses.
func user(id, location string, ls ...allot.License) *allot.User {
	return &allot.User{ID: id, TenantID: testTenant, UserPrincipalName: id + "@contoso.example", DisplayName: id,
		UsageLocation: location, AccountEnabled: true, Licenses: ls}
}

func adds(skus ...string) allot.LicenseChange {
	var ch allot.LicenseChange
	for _, s := range skus {
		ch.Add = append(ch.Add, allot.AssignedLicense{SKUID: s})
	}
	return ch
}

func removes(skus ...string) allot.LicenseChange { return allot.LicenseChange{Remove: skus} }

func addWithout(sku string, disabled ...string) allot.LicenseChange {
	return allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: sku, DisabledPlans: disabled}}}
}

// planWant is what a successful plan holds.
type planWant struct {
	Add, Update, Remove, After []allot.License
}

func TestPlanLicenseChange(t *testing.T) {
	c := allot.DemoCatalog()
	admin := principal(adminID, allot.RoleGlobalAdmin)
	buyer := principal(buyerID)
	sys := allot.SystemPrincipal(testTenant, "test")
	fresh := func() *allot.User { return user(freshUserID, "FR") }
	holder := func() *allot.User {
		return user(holderID, "FR", lic(skuExStd, ""), lic(skuE3, "", planTeams, planExEnt), lic(skuBasic, subBasicSS))
	}
	withArchive := func() *allot.User { return user(holderID, "FR", lic(skuE3, ""), lic(skuArchive, "")) }
	deleted := fresh()
	deleted.DeletedAt = testNow.Add(-time.Hour)
	tests := []struct {
		name    string
		p       allot.Principal
		u       *allot.User
		ch      allot.LicenseChange
		want    *planWant
		wantErr *allot.Error
	}{
		{name: "admin adds a SKU", p: admin, u: fresh(), ch: adds(skuPremium),
			want: &planWant{Add: []allot.License{newLic(skuPremium, "")}, After: []allot.License{newLic(skuPremium, "")}}},
		{name: "GUIDs are compared in lower case", p: admin, u: fresh(), ch: adds(strings.ToUpper(skuPremium)),
			want: &planWant{Add: []allot.License{newLic(skuPremium, "")}, After: []allot.License{newLic(skuPremium, "")}}},
		{name: "License Administrator", p: principal(adminID, allot.RoleLicenseAdmin), u: fresh(), ch: adds(skuE3),
			want: &planWant{Add: []allot.License{newLic(skuE3, "")}, After: []allot.License{newLic(skuE3, "")}}},
		{name: "User Administrator", p: principal(adminID, allot.RoleUserAdmin), u: fresh(), ch: adds(skuE3),
			want: &planWant{Add: []allot.License{newLic(skuE3, "")}, After: []allot.License{newLic(skuE3, "")}}},
		{name: "system", p: sys, u: fresh(), ch: adds(skuE5),
			want: &planWant{Add: []allot.License{newLic(skuE5, "")}, After: []allot.License{newLic(skuE5, "")}}},
		{name: "Billing Administrator", p: principal(adminID, allot.RoleBillingAdmin), u: fresh(), ch: adds(skuE3), wantErr: &allot.Error{Code: allot.EFORBIDDEN}},
		{name: "Global Reader", p: principal(adminID, allot.RoleGlobalReader), u: fresh(), ch: adds(skuE3), wantErr: &allot.Error{Code: allot.EFORBIDDEN}},
		{name: "License Checker", p: principal(adminID, allot.RoleLicenseChecker), u: fresh(), ch: adds(skuE3), wantErr: &allot.Error{Code: allot.EFORBIDDEN}},
		{name: "ordinary user", p: principal(freshUserID), u: fresh(), ch: adds(skuE3), wantErr: &allot.Error{Code: allot.EFORBIDDEN}},
		{name: "no user", p: admin, u: nil, ch: adds(skuE3), wantErr: &allot.Error{Code: allot.ENOTFOUND}},
		{name: "deleted user", p: admin, u: deleted, ch: adds(skuE3), wantErr: &allot.Error{Code: allot.ENOTFOUND}},
		{name: "nothing to do", p: admin, u: fresh(), ch: allot.LicenseChange{}, wantErr: &allot.Error{Code: allot.EINVALID}},
		{name: "skuId not a GUID", p: admin, u: fresh(), ch: adds("E3"),
			wantErr: &allot.Error{Code: allot.EINVALID, Field: "addLicenses", Value: "e3"}},
		{name: "added twice", p: admin, u: fresh(), ch: adds(skuE3, strings.ToUpper(skuE3)),
			wantErr: &allot.Error{Code: allot.EINVALID, Field: "addLicenses", SKUID: skuE3}},
		{name: "removed twice", p: admin, u: holder(), ch: removes(skuE3, skuE3),
			wantErr: &allot.Error{Code: allot.EINVALID, Field: "removeLicenses", SKUID: skuE3}},
		{name: "removed skuId not a GUID", p: admin, u: holder(), ch: removes("x"),
			wantErr: &allot.Error{Code: allot.EINVALID, Field: "removeLicenses", Value: "x"}},
		{name: "added and removed", p: admin, u: holder(), ch: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}, Remove: []string{skuE3}},
			wantErr: &allot.Error{Code: allot.EINVALID, Field: "removeLicenses", SKUID: skuE3}},
		{name: "SKU unknown", p: admin, u: fresh(), ch: adds(skuUnknown), wantErr: &allot.Error{Code: allot.EINVALIDLICENSE, SKUID: skuUnknown}},
		{name: "SKU not owned", p: admin, u: fresh(), ch: adds(skuM365E3), wantErr: &allot.Error{Code: allot.EINVALIDLICENSE, SKUID: skuM365E3}},
		{name: "no usage location", p: admin, u: user(freshUserID, ""), ch: adds(skuE3),
			wantErr: &allot.Error{Code: allot.EUSAGELOCATION, UserID: freshUserID, SKUID: skuE3, Field: "usageLocation"}},
		{name: "disabled plan not a GUID", p: admin, u: fresh(), ch: addWithout(skuE3, "teams"),
			wantErr: &allot.Error{Code: allot.EINVALID, SKUID: skuE3, Field: "disabledPlans", Value: "teams"}},
		{name: "disabled plan not in the SKU", p: admin, u: fresh(), ch: addWithout(skuExStd, planTeams),
			wantErr: &allot.Error{Code: allot.EINVALIDDISABLEPLAN, SKUID: skuExStd, PlanID: planTeams}},
		{name: "disabled plans sorted, lower case, once", p: admin, u: fresh(), ch: addWithout(skuE3, strings.ToUpper(planTeams), planExEnt, planTeams),
			want: &planWant{Add: []allot.License{newLic(skuE3, "", planTeams, planExEnt)}, After: []allot.License{newLic(skuE3, "", planTeams, planExEnt)}}},
		{name: "re-add with the same disabled plans changes nothing", p: admin, u: holder(), ch: addWithout(skuE3, planExEnt, planTeams),
			want: &planWant{After: holder().Licenses}},
		{name: "re-add replaces the disabled plans", p: admin, u: holder(), ch: addWithout(skuE3, planExEnt),
			want: &planWant{Update: []allot.License{lic(skuE3, "", planExEnt)},
				After: []allot.License{lic(skuExStd, ""), lic(skuE3, "", planExEnt), lic(skuBasic, subBasicSS)}}},
		{name: "re-add enabling a conflicting plan", p: admin, u: holder(), ch: adds(skuE3),
			wantErr: &allot.Error{Code: allot.EMUTUALLYEXCLUSIVE, UserID: holderID, Plans: []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}}},
		{name: "remove", p: admin, u: holder(), ch: removes(skuExStd),
			want: &planWant{Remove: []allot.License{lic(skuExStd, "")}, After: []allot.License{lic(skuE3, "", planTeams, planExEnt), lic(skuBasic, subBasicSS)}}},
		{name: "remove not held", p: admin, u: fresh(), ch: removes(skuE3),
			wantErr: &allot.Error{Code: allot.ELICENSENOTHELD, SKUID: skuE3, UserID: freshUserID}},
		{name: "mutually exclusive", p: admin, u: holder(), ch: adds(skuExEnt),
			wantErr: &allot.Error{Code: allot.EMUTUALLYEXCLUSIVE, UserID: holderID, Plans: []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}}},
		{name: "mutually exclusive in one change", p: admin, u: fresh(), ch: adds(skuPremium, skuExEnt),
			wantErr: &allot.Error{Code: allot.EMUTUALLYEXCLUSIVE, UserID: freshUserID, Plans: []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}}},
		{name: "a disabled plan does not conflict", p: admin, u: holder(), ch: addWithout(skuExEnt, planExEnt),
			want: &planWant{Add: []allot.License{newLic(skuExEnt, "", planExEnt)},
				After: append(holder().Licenses, newLic(skuExEnt, "", planExEnt))}},
		{name: "dependency missing", p: admin, u: fresh(), ch: adds(skuArchive),
			wantErr: &allot.Error{Code: allot.EDEPENDENCY, UserID: freshUserID, Plans: []string{"EXCHANGE_S_ARCHIVE_ADDON", "EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}}},
		{name: "dependency left behind", p: admin, u: withArchive(), ch: removes(skuE3),
			wantErr: &allot.Error{Code: allot.EDEPENDENCY, UserID: holderID, Plans: []string{"EXCHANGE_S_ARCHIVE_ADDON", "EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}}},
		{name: "dependency disabled away", p: admin, u: withArchive(), ch: addWithout(skuE3, planExEnt),
			wantErr: &allot.Error{Code: allot.EDEPENDENCY, UserID: holderID, Plans: []string{"EXCHANGE_S_ARCHIVE_ADDON", "EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}}},
		{name: "dependency met in the same change", p: admin, u: fresh(), ch: adds(skuExStd, skuArchive),
			want: &planWant{Add: []allot.License{newLic(skuExStd, ""), newLic(skuArchive, "")}, After: []allot.License{newLic(skuExStd, ""), newLic(skuArchive, "")}}},
		{name: "admin adds a self-service SKU", p: admin, u: fresh(), ch: adds(skuBasic),
			wantErr: &allot.Error{Code: allot.ESELFSERVICE, SKUID: skuBasic, UserID: freshUserID, SubscriptionID: subBasicSS}},
		{name: "admin removes a self-service license", p: admin, u: holder(), ch: removes(skuBasic),
			wantErr: &allot.Error{Code: allot.ESELFSERVICE, SKUID: skuBasic, UserID: holderID, SubscriptionID: subBasicSS}},
		{name: "admin re-adds a self-service license", p: admin, u: holder(), ch: adds(skuBasic),
			wantErr: &allot.Error{Code: allot.ESELFSERVICE, SKUID: skuBasic, UserID: holderID, SubscriptionID: subBasicSS}},
		{name: "admin takes E5 from the admin pool", p: admin, u: fresh(), ch: adds(skuE5),
			want: &planWant{Add: []allot.License{newLic(skuE5, "")}, After: []allot.License{newLic(skuE5, "")}}},
		{name: "purchaser assigns their own seats", p: buyer, u: fresh(), ch: adds(skuBasic),
			want: &planWant{Add: []allot.License{newLic(skuBasic, subBasicSS)}, After: []allot.License{newLic(skuBasic, subBasicSS)}}},
		{name: "purchaser takes E5 from their own pool", p: buyer, u: fresh(), ch: adds(skuE5),
			want: &planWant{Add: []allot.License{newLic(skuE5, subE5SS)}, After: []allot.License{newLic(skuE5, subE5SS)}}},
		{name: "purchaser unassigns their own seats", p: buyer, u: holder(), ch: removes(skuBasic),
			want: &planWant{Remove: []allot.License{lic(skuBasic, subBasicSS)}, After: []allot.License{lic(skuExStd, ""), lic(skuE3, "", planTeams, planExEnt)}}},
		{name: "purchaser cannot assign admin seats", p: buyer, u: fresh(), ch: adds(skuE3), wantErr: &allot.Error{Code: allot.EFORBIDDEN}},
		{name: "purchaser cannot unassign admin seats", p: buyer, u: holder(), ch: removes(skuExStd), wantErr: &allot.Error{Code: allot.EFORBIDDEN}},
		{name: "system unassigns self-service seats", p: sys, u: holder(), ch: removes(skuBasic),
			want: &planWant{Remove: []allot.License{lic(skuBasic, subBasicSS)}, After: []allot.License{lic(skuExStd, ""), lic(skuE3, "", planTeams, planExEnt)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := allot.PlanLicenseChange(c, tt.p, tt.u, testPools(), tt.ch, testNow)
			wantError(t, err, tt.wantErr)
			if tt.want == nil {
				if plan != nil {
					t.Errorf("a refused change returned a plan: %+v", plan)
				}
				return
			}
			if plan == nil {
				return
			}
			got := &planWant{Add: plan.Add, Update: plan.Update, Remove: plan.Remove, After: plan.After}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan (-want +got):\n-%+v\n+%+v", *tt.want, *got)
			}
			if plan.Empty() != (len(tt.want.Add)+len(tt.want.Update)+len(tt.want.Remove) == 0) {
				t.Errorf("Empty() = %v for %+v", plan.Empty(), *got)
			}
		})
	}
}

func TestLicenseChangeNormalize(t *testing.T) {
	same := slices.Repeat([]string{skuE3}, 32_766)
	tests := []struct {
		name    string
		ch      allot.LicenseChange
		want    allot.LicenseChange
		wantErr *allot.Error
	}{
		{name: "lower case", ch: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: strings.ToUpper(skuE3)}}, Remove: []string{strings.ToUpper(skuExStd)}},
			want: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}, Remove: []string{skuExStd}}},
		{name: "one SKU removed 32,766 times", ch: allot.LicenseChange{Add: []allot.AssignedLicense{}, Remove: same},
			wantErr: &allot.Error{Code: allot.EINVALID, Field: "removeLicenses", SKUID: skuE3}},
		{name: "empty", wantErr: &allot.Error{Code: allot.EINVALID}},
		{name: "1,001 distinct SKUs", ch: allot.LicenseChange{Remove: distinctGUIDs(allot.MaxChangeSKUs + 1)},
			wantErr: &allot.Error{Code: allot.EINVALID, Count: allot.MaxChangeSKUs + 1, Limit: allot.MaxChangeSKUs}},
		{name: "1,000 distinct SKUs", ch: allot.LicenseChange{Remove: distinctGUIDs(allot.MaxChangeSKUs)},
			want: allot.LicenseChange{Add: []allot.AssignedLicense{}, Remove: distinctGUIDs(allot.MaxChangeSKUs)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ch.Normalize()
			wantError(t, err, tt.wantErr)
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("normalized (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
	// Normalize leaves the caller's change alone.
	ch := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: strings.ToUpper(skuE3)}}}
	if _, err := ch.Normalize(); err != nil || ch.Add[0].SKUID != strings.ToUpper(skuE3) {
		t.Errorf("Normalize changed its receiver's slice: %+v %v", ch, err)
	}
}

// distinctGUIDs returns n different skuIds in lower case.
func distinctGUIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("00000000-0000-4000-8000-%012x", i)
	}
	return out
}

func TestSkipUnchanged(t *testing.T) {
	holder := user(holderID, "FR", lic(skuE3, ""))
	tests := []struct {
		name     string
		ch       allot.LicenseChange
		want     allot.LicenseChange
		wantTodo bool
	}{
		{"held SKU stays", removes(skuE3), removes(skuE3), true},
		{"SKU not held is dropped", removes(skuExStd, skuE3), removes(skuE3), true},
		{"nothing left", removes(skuExStd), allot.LicenseChange{Remove: []string{}}, false},
		{"adds stay", allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExStd}}, Remove: []string{skuExEnt}},
			allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExStd}}, Remove: []string{}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, todo := allot.SkipUnchanged(holder, tt.ch)
			if todo != tt.wantTodo || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SkipUnchanged (-want +got):\n-%+v %v\n+%+v %v", tt.want, tt.wantTodo, got, todo)
			}
		})
	}
}

func TestAuthorizeLicenseChange(t *testing.T) {
	tests := []struct {
		name  string
		p     allot.Principal
		pools map[string][]allot.SeatPool
		want  *allot.Error
	}{
		{"administrator", principal(adminID, allot.RoleLicenseAdmin), nil, nil},
		{"purchaser of a pool named", principal(buyerID), testPools(), nil},
		{"ordinary user", principal(freshUserID), testPools(), &allot.Error{Code: allot.EFORBIDDEN}},
		{"purchaser, no pool of theirs named", principal(buyerID), map[string][]allot.SeatPool{skuE3: {{Capacity: 1}}}, &allot.Error{Code: allot.EFORBIDDEN}},
		{"Billing Administrator", principal(adminID, allot.RoleBillingAdmin), testPools(), &allot.Error{Code: allot.EFORBIDDEN}},
		{"no user id", allot.Principal{TenantID: testTenant}, map[string][]allot.SeatPool{skuE3: {{SubscriptionID: subE5SS}}}, &allot.Error{Code: allot.EFORBIDDEN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, allot.AuthorizeLicenseChange(tt.p, tt.pools), tt.want)
		})
	}
}

// BenchmarkPlanLicenseChange plans, for a user holding two SKUs, the
// changes of allot-bench's W5 (a removal) and W6 (an addition), once per
// user of a bulk change of 100 000: its allocations are the change's
// garbage (go test -bench PlanLicenseChange -benchmem).
func BenchmarkPlanLicenseChange(b *testing.B) {
	c := allot.DemoCatalog()
	p := principal(adminID, allot.RoleGlobalAdmin)
	pools := testPools()
	u := user(holderID, "FR", lic(skuE3, ""), lic(skuPremium, "", planExStd))
	for _, tt := range []struct {
		name string
		ch   allot.LicenseChange
	}{
		{"remove", removes(skuE3)},
		{"add", adds(skuArchive)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := allot.PlanLicenseChange(c, p, u, pools, tt.ch, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
