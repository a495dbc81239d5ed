package allot_test

import (
	"reflect"
	"testing"

	"github.com/allot-project/allot"
)

func TestParseImportHeader(t *testing.T) {
	tests := []struct {
		name      string
		rec       []string
		wantField string // "" for no error
	}{
		{"export order", allot.ImportColumns, ""},
		{"any order and case, BOM", []string{"\uFEFFLicenses", "accountenabled", "USAGELOCATION", "displayName", "userPrincipalName"}, ""},
		{"missing column", []string{"userPrincipalName", "displayName", "usageLocation", "accountEnabled"}, "licenses"},
		{"unknown column", []string{"userPrincipalName", "displayName", "usageLocation", "accountEnabled", "licenses", "mail"}, "mail"},
		{"repeated column", []string{"userPrincipalName", "displayName", "usageLocation", "accountEnabled", "licenses", "displayname"}, "displayName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := allot.ParseImportHeader(tt.rec)
			if got := errField(err); got != tt.wantField || (err == nil) != (tt.wantField == "") {
				t.Errorf("ParseImportHeader(%q) = %v; want an error on field %q", tt.rec, err, tt.wantField)
			}
		})
	}
}

// errField returns the Field of an *allot.Error, or "".
func errField(err error) string {
	if e, ok := err.(*allot.Error); ok {
		return e.Field
	}
	return ""
}

func TestImportRow(t *testing.T) {
	h, err := allot.ParseImportHeader(allot.ImportColumns)
	if err != nil {
		t.Fatal(err)
	}
	c := allot.DemoCatalog()
	tests := []struct {
		name     string
		rec      []string
		want     allot.ImportRow
		wantCode string
	}{
		{"licenses by part number, any case", []string{" ada@contoso.example ", "Ada", "fr", "TRUE", "spb; EXCHANGESTANDARD;"},
			allot.ImportRow{Line: 7, UserPrincipalName: "ada@contoso.example", DisplayName: "Ada", UsageLocation: "FR", AccountEnabled: true,
				Licenses: []string{skuPremium, skuExStd}}, ""},
		{"no licenses", []string{"ada@contoso.example", "Ada", "", "false", ""},
			allot.ImportRow{Line: 7, UserPrincipalName: "ada@contoso.example", DisplayName: "Ada"}, ""},
		{"short row", []string{"ada@contoso.example", "Ada"}, allot.ImportRow{}, allot.EINVALID},
		{"bad UTF-8", []string{"ada@contoso.example", "Ad\xffa", "FR", "true", ""}, allot.ImportRow{}, allot.EINVALID},
		{"bad UPN", []string{"ada", "Ada", "FR", "true", ""}, allot.ImportRow{}, allot.EINVALID},
		{"bad accountEnabled", []string{"ada@contoso.example", "Ada", "FR", "yes", ""}, allot.ImportRow{}, allot.EINVALID},
		{"unknown SKU", []string{"ada@contoso.example", "Ada", "FR", "true", "SPB;NOPE"}, allot.ImportRow{}, allot.EINVALIDLICENSE},
		{"SKU twice", []string{"ada@contoso.example", "Ada", "FR", "true", "SPB;spb"}, allot.ImportRow{}, allot.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Row(c, tt.rec, 7)
			if code := allot.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("Row error %v, want code %q", err, tt.wantCode)
			}
			if tt.wantCode == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Row:\nwant %+v\n got %+v", tt.want, got)
			}
		})
	}
}

func TestImportSeen(t *testing.T) {
	seen := allot.ImportSeen{}
	if err := seen.Check("Ada@contoso.example", 2); err != nil {
		t.Fatal(err)
	}
	err := seen.Check("ada@CONTOSO.example", 9)
	if want := "User ada@CONTOSO.example is already on line 2; a file lists each user once."; allot.ErrorMessage(err) != want {
		t.Errorf("second row of one user: %v, want %q", err, want)
	}
}

func TestPlanUserImport(t *testing.T) {
	c := allot.DemoCatalog()
	admin := principal(adminID, allot.RoleUserAdmin)
	licAdmin := principal(adminID, allot.RoleLicenseAdmin)
	held := func() *allot.User {
		return &allot.User{ID: holderID, TenantID: testTenant, UserPrincipalName: "h@contoso.example", DisplayName: "H", UsageLocation: "FR",
			AccountEnabled: true, Licenses: []allot.License{lic(skuPremium, "", planTeams), lic(skuExStd, "")}}
	}
	row := func(loc string, enabled bool, skus ...string) allot.ImportRow {
		return allot.ImportRow{Line: 2, UserPrincipalName: "h@contoso.example", DisplayName: "H", UsageLocation: loc, AccountEnabled: enabled, Licenses: skus}
	}
	type want struct {
		action      string
		fields      []string
		add, remove []string
		update      []string // SKUs whose disabled plans change
		code        string
	}
	tests := []struct {
		name string
		p    allot.Principal
		row  allot.ImportRow
		user *allot.User
		want want
	}{
		{"same as held: nothing", admin, row("FR", true, skuExStd, skuPremium), held(), want{action: allot.ImportUnchanged}},
		{"kept SKU keeps its disabled plans, another added, one removed", admin, row("FR", true, skuPremium, skuArchive), held(),
			want{action: allot.ImportUpdate, add: []string{skuArchive}, remove: []string{skuExStd}}},
		{"empty cell removes every license", admin, row("FR", true), held(),
			want{action: allot.ImportUpdate, remove: []string{skuPremium, skuExStd}}},
		{"fields changed", admin, row("GB", false, skuExStd, skuPremium), held(),
			want{action: allot.ImportUpdate, fields: []string{"usageLocation", "accountEnabled"}}},
		{"create with licenses", admin, row("FR", true, skuPremium), nil, want{action: allot.ImportCreate, add: []string{skuPremium}}},
		{"create without usage location cannot take licenses", admin, row("", true, skuPremium), nil, want{code: allot.EUSAGELOCATION}},
		{"clearing the location of a licensed user", admin, row("", true, skuPremium), held(), want{code: allot.EUSAGELOCATION}},
		{"clearing the location and every license", admin, row("", true), held(),
			want{action: allot.ImportUpdate, fields: []string{"usageLocation"}, remove: []string{skuPremium, skuExStd}}},
		{"SKU the tenant does not own", admin, row("FR", true, skuExStd, skuPremium, skuM365E3), held(), want{code: allot.EINVALIDLICENSE}},
		{"license administrator may not create", licAdmin, row("FR", true), nil, want{code: allot.EFORBIDDEN}},
		{"license administrator may not block sign-in", licAdmin, row("FR", false, skuExStd, skuPremium), held(), want{code: allot.EFORBIDDEN}},
		{"license administrator changes location and licenses", licAdmin, row("GB", true, skuPremium), held(),
			want{action: allot.ImportUpdate, fields: []string{"usageLocation"}, remove: []string{skuExStd}}},
		{"reader may not", principal(adminID, allot.RoleGlobalReader), row("FR", true, skuExStd, skuPremium), held(), want{code: allot.EFORBIDDEN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := allot.PlanUserImport(c, tt.p, tt.row, tt.user, testPools(), freshUserID, testNow)
			var got want
			if got.code = allot.ErrorCode(err); err == nil {
				got.action, got.fields = plan.Action, plan.Fields
				if plan.Licenses != nil {
					got.add, got.remove, got.update = skuIDs(plan.Licenses.Add), skuIDs(plan.Licenses.Remove), skuIDs(plan.Licenses.Update)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PlanUserImport:\nwant %+v\n got %+v (%v)", tt.want, got, err)
			}
		})
	}
}

// skuIDs returns the SKUs of licenses, or nil.
func skuIDs(ls []allot.License) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.SKUID)
	}
	return out
}
