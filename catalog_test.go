package allot_test

import (
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

func TestDemoCatalog(t *testing.T) {
	c := allot.DemoCatalog()
	tests := []struct {
		id, part, en string
		plans        []string
	}{
		{"3b555118-da6a-4418-894f-7df1e2096870", "O365_BUSINESS_ESSENTIALS", "Microsoft 365 Business Basic", []string{"EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD"}},
		{"f245ecc8-75af-4f8e-b61f-27d8114de5f3", "O365_BUSINESS_PREMIUM", "Microsoft 365 Business Standard", []string{"OFFICE_BUSINESS"}},
		{"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB", "Microsoft 365 Business Premium", []string{"EXCHANGE_S_STANDARD", "INTUNE_A", "AAD_PREMIUM"}},
		{"18181a46-0d4e-45cd-891e-60aabd171b4e", "STANDARDPACK", "Office 365 E1", []string{"EXCHANGE_S_STANDARD"}},
		{"6fd2c87f-b296-42f0-b197-1e91e994b900", "ENTERPRISEPACK", "Office 365 E3", []string{"EXCHANGE_S_ENTERPRISE", "OFFICESUBSCRIPTION"}},
		{"c7df2760-2c81-4ef7-b578-5b5392b571df", "ENTERPRISEPREMIUM", "Office 365 E5", []string{"MCOEV", "MCOMEETADV"}},
		{"05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", "Microsoft 365 E3", []string{"INTUNE_A"}},
		{"4b9405b0-7788-4568-add1-99614e613b69", "EXCHANGESTANDARD", "Exchange Online (Plan 1)", []string{"EXCHANGE_S_STANDARD"}},
		{"19ec0d23-8335-4cbd-94ac-6050e30712fa", "EXCHANGEENTERPRISE", "Exchange Online (Plan 2)", []string{"EXCHANGE_S_ENTERPRISE"}},
	}
	for _, tt := range tests {
		s := c.SKU(strings.ToUpper(tt.id))
		if s == nil {
			t.Errorf("SKU %s (%s) missing", tt.part, tt.id)
			continue
		}
		if s != c.SKUByPartNumber(strings.ToLower(tt.part)) || s != c.FindSKU(tt.part) {
			t.Errorf("%s: lookups by part number disagree", tt.part)
		}
		if s.DisplayName.EN != tt.en || s.DisplayName.FR == "" {
			t.Errorf("%s: names %+v, want en %q and a French name", tt.part, s.DisplayName, tt.en)
		}
		for _, p := range tt.plans {
			if s.Plan(p) == nil {
				t.Errorf("%s lacks plan %s", tt.part, p)
			}
		}
	}
	kinds := map[string]allot.DataKind{"EXCHANGE_S_STANDARD": allot.DataMailbox, "SHAREPOINTENTERPRISE": allot.DataFiles, "TEAMS1": allot.DataNone}
	for name, want := range kinds {
		if got := c.ServicePlan(name).Data; got != want {
			t.Errorf("plan %s holds %q, want %q", name, got, want)
		}
	}
	if c.ServicePlan("9AAF7827-D63C-4B61-89C3-182F06F82E5C").Name != "EXCHANGE_S_STANDARD" {
		t.Error("plans are not found by upper-case id")
	}
}

func TestCatalogRules(t *testing.T) {
	c := allot.DemoCatalog()
	lic := func(part string, disabled ...string) allot.License {
		s := c.SKUByPartNumber(part)
		var ids []string
		for _, d := range disabled {
			ids = append(ids, s.Plan(d).ID)
		}
		return allot.License{SKUID: s.ID, DisabledPlans: ids}
	}
	tests := []struct {
		name string
		ls   []allot.License
		want string
	}{
		{"plan 1 and plan 2", []allot.License{lic("EXCHANGESTANDARD"), lic("EXCHANGEENTERPRISE")}, allot.EMUTUALLYEXCLUSIVE},
		{"bundle and plan 2", []allot.License{lic("SPB"), lic("EXCHANGEENTERPRISE")}, allot.EMUTUALLYEXCLUSIVE},
		{"bundle with exchange disabled and plan 2", []allot.License{lic("SPB", "EXCHANGE_S_STANDARD"), lic("EXCHANGEENTERPRISE")}, ""},
		{"same plan twice is no conflict", []allot.License{lic("SPB"), lic("EXCHANGESTANDARD")}, ""},
		{"archive alone", []allot.License{lic("EXCHANGEARCHIVE_ADDON")}, allot.EDEPENDENCY},
		{"archive with plan 2", []allot.License{lic("EXCHANGEARCHIVE_ADDON"), lic("EXCHANGEENTERPRISE")}, ""},
		{"archive with disabled base", []allot.License{lic("EXCHANGEARCHIVE_ADDON"), lic("ENTERPRISEPACK", "EXCHANGE_S_ENTERPRISE")}, allot.EDEPENDENCY},
		{"E5 with Teams and Skype disabled", []allot.License{lic("ENTERPRISEPREMIUM", "TEAMS1", "MCOSTANDARD")}, allot.EDEPENDENCY},
	}
	for _, tt := range tests {
		if got := allot.ErrorCode(c.CheckLicenses(tt.ls)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseCatalogRefuses(t *testing.T) {
	tests := []struct{ name, json string }{
		{"not JSON", `{`},
		{"unknown field", `{"servicePlans":[],"skus":[],"extra":1}`},
		{"bad plan id", `{"servicePlans":[{"id":"x","name":"P","data":"none"}],"skus":[]}`},
		{"bad data kind", `{"servicePlans":[{"id":"9aaf7827-d63c-4b61-89c3-182f06f82e5c","name":"P","data":"disk"}],"skus":[]}`},
		{"unknown plan in SKU", `{"servicePlans":[],"skus":[{"id":"9aaf7827-d63c-4b61-89c3-182f06f82e5c","partNumber":"X","displayName":{"en":"X"},"plans":["NOPE"]}]}`},
		{"duplicate SKU", `{"servicePlans":[],"skus":[{"id":"9aaf7827-d63c-4b61-89c3-182f06f82e5c","partNumber":"X","displayName":{"en":"X"}},{"id":"9aaf7827-d63c-4b61-89c3-182f06f82e5c","partNumber":"Y","displayName":{"en":"Y"}}]}`},
		{"rule with unknown plan", `{"servicePlans":[],"skus":[],"rules":{"dependencies":[{"plan":"A","requiresAny":["B"]}]}}`},
	}
	for _, tt := range tests {
		if _, err := allot.ParseCatalog(strings.NewReader(tt.json)); allot.ErrorCode(err) != allot.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", tt.name, err)
		}
	}
}

func TestValidCountry(t *testing.T) {
	for code, want := range map[string]bool{"FR": true, "US": true, "ZW": true, "AD": true, "XX": false, "fr": false, "D ": false, "DA": false, "": false, "FRA": false} {
		if got := allot.ValidCountry(code); got != want {
			t.Errorf("ValidCountry(%q) = %v, want %v", code, got, want)
		}
	}
}
