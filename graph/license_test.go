package graph

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// seatState is what a refused request must leave as it was.
type seatState struct {
	Consumed map[string]int
	Licenses map[string][]string
}

func (f *fixture) seatState(t testing.TB, tf *tenantFixture, users ...string) seatState {
	t.Helper()
	s := seatState{Consumed: map[string]int{}, Licenses: map[string][]string{}}
	for _, sku := range []string{skuE3, skuExchangeStd, skuArchive, skuSelfService} {
		s.Consumed[sku] = f.consumed(t, tf, sku)
	}
	for _, u := range users {
		s.Licenses[u] = f.licenses(t, tf, u)
	}
	return s
}

// TestAssignLicenseRefusals sends bad assignLicense requests and checks the
// status, the Graph code, the message and the details, and that nothing
// changed.
func TestAssignLicenseRefusals(t *testing.T) {
	f := newFixture(t)
	a := f.a
	ctx := context.Background()
	target := a.users["target"]
	holder := f.freshUser(t, a) // takes the only EXCHANGESTANDARD seat
	_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), holder.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExchangeStd}}})
	must(t, err)
	e3User := f.freshUser(t, a)
	_, err = f.db.AssignLicenses(ctx, sys(a.tenant.ID), e3User.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
	must(t, err)

	path := "/v1.0/users/" + target.ID + "/assignLicense"
	add := func(sku string) string {
		return `{"addLicenses":[{"skuId":"` + sku + `","disabledPlans":[]}],"removeLicenses":[]}`
	}
	const missing = "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: "
	tests := []struct {
		name       string
		path       string
		body       string
		wantStatus int
		wantCode   string
		wantMsg    string // a substring of the message
		wantDetail string // details[0].code, "" for none
		wantTarget string
	}{
		{name: "malformed JSON", body: `{"addLicenses":[`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "Unable to read JSON request payload"},
		{name: "trailing garbage", body: `{"addLicenses":[],"removeLicenses":[]} x`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "Unable to read JSON"},
		{name: "empty body", body: ``, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "Empty Payload. JSON content expected."},
		{name: "array body", body: `[]`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "must be a JSON object"},
		{name: "missing addLicenses", body: `{"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: missing + "addLicenses."},
		{name: "missing removeLicenses", body: `{"addLicenses":[{"skuId":"` + skuE3 + `"}]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: missing + "removeLicenses."},
		{name: "null addLicenses", body: `{"addLicenses":null,"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: missing + "addLicenses."},
		{name: "both missing", body: `{}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: missing + "addLicenses, removeLicenses."},
		{name: "both empty", body: `{"addLicenses":[],"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "No license changes provided. At least one license to add or remove must be specified."},
		{name: "skuId a number", body: `{"addLicenses":[{"skuId":5}],"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "Cannot convert a primitive value to the expected type 'Edm.Guid'"},
		{name: "addLicenses an object", body: `{"addLicenses":{},"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "A node of type 'StartObject' was read from the JSON reader when trying to read the contents of the property 'addLicenses'; however, a 'StartArray' node was expected."},
		{name: "removeLicenses a string", body: `{"addLicenses":[],"removeLicenses":"x"}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "'StartArray' node was expected"},
		{name: "addLicenses item a string", body: `{"addLicenses":["` + skuE3 + `"],"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "'StartObject' node was expected"},
		{name: "bad skuId", body: add("not-a-guid"), wantStatus: 400, wantCode: codeBadRequest, wantMsg: "Cannot convert a primitive value to the expected type 'Edm.Guid'"},
		{name: "bad GUID in removeLicenses", body: `{"addLicenses":[],"removeLicenses":["123"]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "Edm.Guid"},
		{name: "bad GUID in disabledPlans", body: `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":["x"]}],"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "Edm.Guid"},
		{name: "disabledPlans an object", body: `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":{}}],"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "'StartArray' node was expected"},
		{name: "item without skuId", body: `{"addLicenses":[{"disabledPlans":[]}],"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "no skuId"},
		{name: "skuId twice in one item", body: `{"addLicenses":[{"skuId":"` + skuE3 + `","SkuId":"` + skuE3 + `"}],"removeLicenses":[]}`, wantStatus: 400, wantCode: codeBadRequest, wantMsg: "more than once"},
		{name: "unknown SKU", body: add(skuUnknown), wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "License " + skuUnknown + " does not correspond to a valid company License.", wantDetail: allot.EINVALIDLICENSE, wantTarget: skuUnknown},
		{name: "SKU not owned", body: add(skuNotOwned), wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "does not correspond to a valid company License.", wantDetail: allot.EINVALIDLICENSE, wantTarget: skuNotOwned},
		{name: "no usage location", path: "/v1.0/users/" + a.users["nolocation"].ID + "/assignLicense", body: add(skuE3), wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "License assignment cannot be done for user with invalid usage location.", wantDetail: allot.EUSAGELOCATION, wantTarget: a.users["nolocation"].ID},
		{name: "SKU full", body: add(skuExchangeStd), wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "does not have any available licenses", wantDetail: allot.ECOUNTVIOLATION, wantTarget: skuExchangeStd},
		{name: "mutually exclusive", path: "/v1.0/users/" + e3User.ID + "/assignLicense", body: add(skuExchangeStd), wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "mutually exclusive", wantDetail: allot.EMUTUALLYEXCLUSIVE, wantTarget: e3User.ID},
		{name: "missing dependency", body: add(skuArchive), wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "depends on", wantDetail: allot.EDEPENDENCY, wantTarget: target.ID},
		{name: "remove not held", body: `{"addLicenses":[],"removeLicenses":["` + skuE3 + `"]}`, wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "User does not have a corresponding license.", wantDetail: allot.ELICENSENOTHELD, wantTarget: target.ID},
		{name: "disabled plan not in SKU", body: `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":["` + skuUnknown + `"]}],"removeLicenses":[]}`,
			wantStatus: 400, wantCode: codeBadRequest, wantMsg: "is not part of", wantDetail: allot.EINVALIDDISABLEPLAN, wantTarget: skuUnknown},
		{name: "self-service SKU by an admin", body: add(skuSelfService), wantStatus: 400, wantCode: codeBadRequest,
			wantMsg: "self-service purchase", wantDetail: allot.ESELFSERVICE, wantTarget: target.ID},
		{name: "unknown user", path: "/v1.0/users/" + skuUnknown + "/assignLicense", body: add(skuE3), wantStatus: 404, wantCode: codeNotFound,
			wantMsg: "Resource '" + skuUnknown + "' does not exist"},
		{name: "query option", path: path + "?$select=id", body: add(skuE3), wantStatus: 400, wantCode: codeUnsupportedQuery, wantMsg: "$select"},
	}
	users := []string{target.ID, holder.ID, e3User.ID, a.users["nolocation"].ID}
	before := f.seatState(t, a, users...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := path
			if tt.path != "" {
				p = tt.path
			}
			resp := f.send(t, a, callerGlobal, "POST", p, tt.body)
			if resp.status != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d\n%s", tt.wantStatus, resp.status, resp.body)
			}
			e := resp.envelope(t)
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("error -want +got\n-%s: …%s…\n+%s: %s", tt.wantCode, tt.wantMsg, e.Error.Code, e.Error.Message)
			}
			var gotDetail, gotTarget string
			if len(e.Error.Details) > 0 {
				gotDetail, gotTarget = e.Error.Details[0].Code, e.Error.Details[0].Target
			}
			if gotDetail != tt.wantDetail || gotTarget != tt.wantTarget {
				t.Errorf("details[0] -want +got\n-%s %s\n+%s %s", tt.wantDetail, tt.wantTarget, gotDetail, gotTarget)
			}
			if d := diff(before, f.seatState(t, a, users...)); d != "" {
				t.Errorf("a refused request changed seats or licenses (-before +after):\n%s", d)
			}
		})
	}
}

// TestAssignLicense checks successful changes: add with disabled plans,
// uppercase GUIDs, PascalCase names and unknown properties, then remove.
func TestAssignLicense(t *testing.T) {
	f := newFixture(t)
	a := f.a
	u := f.freshUser(t, a)
	body := `{"AddLicenses":[{"SkuId":"` + strings.ToUpper(skuE3) + `","disabledPlans":["` + planTeams + `"],"extra":1}],"removeLicenses":[],"@odata.type":"x","unknown":true}`
	resp := f.send(t, a, callerLicense, "POST", "/v1.0/users/"+u.UserPrincipalName+"/assignLicense", body)
	if resp.status != http.StatusOK {
		t.Fatalf("assign: %d %s", resp.status, resp.body)
	}
	got := resp.object(t)
	want := map[string]any{
		"@odata.context":    "http://allot.test/v1.0/$metadata#users/$entity",
		"id":                u.ID,
		"displayName":       u.DisplayName,
		"userPrincipalName": u.UserPrincipalName,
		"usageLocation":     "US",
		"assignedLicenses":  []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{planTeams}}},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("assignLicense response (-want +got):\n%s", d)
	}
	if n := f.consumed(t, a, skuE3); n != 1 {
		t.Errorf("E3 consumed = %d, want 1", n)
	}
	details := f.get(t, a, callerReader, "/v1.0/users/"+u.ID+"/licenseDetails").values(t)
	if len(details) != 1 {
		t.Fatalf("licenseDetails: %v", details)
	}
	wantID := base64.RawURLEncoding.EncodeToString(append(mustGUIDBytes(t, a.tenant.ID), mustGUIDBytes(t, skuE3)...))
	if details[0]["id"] != wantID || details[0]["skuPartNumber"] != "SPE_E3" {
		t.Errorf("licenseDetails id/part -want +got\n-%s SPE_E3\n+%v %v", wantID, details[0]["id"], details[0]["skuPartNumber"])
	}
	for _, p := range details[0]["servicePlans"].([]any) {
		plan := p.(map[string]any)
		want := "Success"
		if plan["servicePlanId"] == planTeams {
			want = "Disabled"
		}
		if plan["provisioningStatus"] != want {
			t.Errorf("plan %v provisioningStatus = %v, want %s", plan["servicePlanName"], plan["provisioningStatus"], want)
		}
	}
	one := f.get(t, a, callerReader, "/v1.0/users/"+u.ID+"/licenseDetails/"+wantID)
	if one.status != http.StatusOK || one.object(t)["skuId"] != skuE3 {
		t.Errorf("licenseDetails/{id}: %d %s", one.status, one.body)
	}
	sel := f.get(t, a, callerReader, "/v1.0/users/"+u.ID+"?$select=assignedPlans,licenseAssignmentStates").object(t)
	plans := sel["assignedPlans"].([]any)
	if len(plans) != 8 { // E3 has 9 plans, one disabled
		t.Errorf("assignedPlans has %d plans, want 8: %v", len(plans), plans)
	}
	state := sel["licenseAssignmentStates"].([]any)[0].(map[string]any)
	if state["state"] != "Active" || state["error"] != "None" || state["assignedByGroup"] != nil {
		t.Errorf("licenseAssignmentStates[0] = %v", state)
	}
	resp = f.send(t, a, callerUser, "POST", "/v1.0/users/"+u.ID+"/microsoft.graph.assignLicense", `{"addLicenses":[],"removeLicenses":["`+skuE3+`"]}`)
	if resp.status != http.StatusOK {
		t.Fatalf("remove: %d %s", resp.status, resp.body)
	}
	if got := resp.object(t)["assignedLicenses"]; len(got.([]any)) != 0 {
		t.Errorf("assignedLicenses after remove = %v, want []", got)
	}
	if n := f.consumed(t, a, skuE3); n != 0 {
		t.Errorf("E3 consumed after remove = %d, want 0", n)
	}
}

// TestSelfServiceAssign checks that the purchaser of a self-service
// subscription may assign its seats through /me, while admins may not.
func TestSelfServiceAssign(t *testing.T) {
	f := newFixture(t)
	a := f.a
	resp := f.send(t, a, callerOrdinary, "POST", "/v1.0/me/assignLicense", `{"addLicenses":[{"skuId":"`+skuSelfService+`"}],"removeLicenses":[]}`)
	if resp.status != http.StatusOK {
		t.Fatalf("purchaser assigns own seat: %d %s", resp.status, resp.body)
	}
	if got := f.licenses(t, a, a.users[callerOrdinary].ID); !slices.Equal(got, []string{skuSelfService}) {
		t.Errorf("ordinary user's licenses = %v", got)
	}
}

func mustGUIDBytes(t *testing.T, g string) []byte {
	t.Helper()
	b, ok := allot.ParseGUID(g)
	if !ok {
		t.Fatalf("not a GUID: %s", g)
	}
	b = dotNetOrder(b)
	return b[:]
}

// TestLicenseDetailsID checks the id against Graph's documented example,
// which decodes to the tenant dcd219dd-bc68-4b9b-bf0b-4a33a796be35 and
// the SKU c7df2760-2c81-4ef7-b578-5b5392b571df (ENTERPRISEPREMIUM).
func TestLicenseDetailsID(t *testing.T) {
	const doc = "3RnS3Gi8m0u_C0ozp5a-NWAn38eBLPdOtXhbU5K1cd8"
	tenant, sku, ok := parseLicenseDetailsID(doc)
	if !ok || sku != "c7df2760-2c81-4ef7-b578-5b5392b571df" || !strings.HasPrefix(tenant, "dcd219dd-") {
		t.Fatalf("parse(%s) = %s %s %v", doc, tenant, sku, ok)
	}
	if got := licenseDetailsID(tenant, sku); got != doc {
		t.Errorf("licenseDetailsID -want +got\n-%s\n+%s", doc, got)
	}
}

// TestDefaultLicenseDetailsBytes checks that licenseDetails written with
// their default properties directly (writeDefaultLicenseDetails) are byte
// for byte what rendering licenseDetailsType through maps gives: none, a
// license with disabled plans, a SKU outside the catalog, names that need
// escaping.
func TestDefaultLicenseDetailsBytes(t *testing.T) {
	const tenant = "dcd219dd-bc68-4b9b-bf0b-4a33a796be35"
	c := allot.DemoCatalog()
	e3 := c.SKU("6fd2c87f-b296-42f0-b197-1e91e994b900")
	odd := &allot.SKU{ID: "0a1b2c3d-0000-4000-8000-0000000000aa", PartNumber: `ODD "<&>"` + "\u2028",
		Plans: []*allot.ServicePlan{{ID: "0a1b2c3d-0000-4000-8000-0000000000bb", Name: "Zoë <b>"}}}
	tests := []struct {
		name string
		ds   []licenseDetail
	}{
		{"none", nil},
		{"E3, two plans disabled", []licenseDetail{{tenantID: tenant, sku: e3,
			l: allot.License{SKUID: e3.ID, DisabledPlans: []string{e3.Plans[0].ID, e3.Plans[2].ID}}}}},
		{"outside the catalog, and escapes", []licenseDetail{
			{tenantID: tenant, sku: &allot.SKU{ID: "0a1b2c3d-0000-4000-8000-0000000000cc"}, l: allot.License{SKUID: "0a1b2c3d-0000-4000-8000-0000000000cc"}},
			{tenantID: tenant, sku: odd, l: allot.License{SKUID: odd.ID, DisabledPlans: []string{}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const path = "users('0a1b2c3d-0000-4000-8000-000000000001')/licenseDetails"
			r := httptest.NewRequest("GET", "http://allot.test/v1.0/"+path, nil)
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			sel, err := licenseDetailsType.selectProps(nil)
			must(t, err)
			must(t, sel.writeCollection(want, r, path, tt.ds))
			must(t, writeDefaultLicenseDetails(got, r, path, tt.ds))
			if want.Body.String() != got.Body.String() {
				t.Errorf("body -want +got\n-%s\n+%s", want.Body, got.Body)
			}
			if d := diff(want.Header(), got.Header()); d != "" {
				t.Errorf("headers (-want +got):\n%s", d)
			}
		})
	}
}
