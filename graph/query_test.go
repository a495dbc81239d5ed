package graph

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

func boolPtr(b bool) *bool { return &b }

// TestParseFilter checks what each supported filter means and how each
// unsupported or malformed one is refused.
func TestParseFilter(t *testing.T) {
	tests := []struct {
		name     string
		filter   string
		want     allot.UserFilter
		advanced bool
		wantCode string // "" for success
		wantMsg  string
	}{
		{name: "any, unquoted GUID", filter: "assignedLicenses/any(x:x/skuId eq " + strings.ToUpper(skuE3) + ")", want: allot.UserFilter{SKUID: skuE3}},
		{name: "any, quoted GUID, other variable", filter: "assignedLicenses/any(lic: lic/skuId eq '" + skuE3 + "')", want: allot.UserFilter{SKUID: skuE3}},
		{name: "any, keywords in another case", filter: "AssignedLicenses/ANY(s:s/SkuId EQ " + skuE3 + ")", want: allot.UserFilter{SKUID: skuE3}},
		{name: "unlicensed", filter: "assignedLicenses/$count eq 0", want: allot.UserFilter{Unlicensed: true}, advanced: true},
		{name: "upn", filter: "userPrincipalName eq 'o''neil@contoso.example'", want: allot.UserFilter{UPN: "o'neil@contoso.example"}},
		{name: "id", filter: "id eq '" + skuE3 + "'", want: allot.UserFilter{ID: skuE3}},
		{name: "startsWith", filter: "startsWith(displayName,'Ad')", want: allot.UserFilter{NamePrefix: "Ad"}},
		{name: "startswith lower case", filter: "startswith(displayName, 'it''s')", want: allot.UserFilter{NamePrefix: "it's"}},
		{name: "enabled", filter: "accountEnabled eq false", want: allot.UserFilter{Enabled: boolPtr(false)}},
		{name: "and of all", filter: "(accountEnabled eq true) and startsWith(displayName,'a') and assignedLicenses/any(x:x/skuId eq " + skuE3 + ") and userPrincipalName eq 'a@b.c'",
			want: allot.UserFilter{Enabled: boolPtr(true), NamePrefix: "a", SKUID: skuE3, UPN: "a@b.c"}},
		{name: "nested parentheses", filter: "((id eq '" + skuE3 + "'))", want: allot.UserFilter{ID: skuE3}},

		{name: "or", filter: "accountEnabled eq true or accountEnabled eq false", wantCode: codeUnsupportedQuery, wantMsg: "'or'"},
		{name: "not", filter: "not(accountEnabled eq true)", wantCode: codeUnsupportedQuery, wantMsg: "'not'"},
		{name: "ne", filter: "accountEnabled ne true", wantCode: codeUnsupportedQuery, wantMsg: "'ne'"},
		{name: "displayName eq", filter: "displayName eq 'x'", wantCode: codeUnsupportedQuery, wantMsg: "'displayName'"},
		{name: "endsWith", filter: "endsWith(mail,'@x.com')", wantCode: codeUnsupportedQuery, wantMsg: "'endsWith'"},
		{name: "startsWith on upn", filter: "startsWith(userPrincipalName,'a')", wantCode: codeUnsupportedQuery, wantMsg: "userPrincipalName"},
		{name: "count not zero", filter: "assignedLicenses/$count eq 2", wantCode: codeUnsupportedQuery, wantMsg: "eq 0"},
		{name: "count ne", filter: "assignedLicenses/$count ne 0", wantCode: codeUnsupportedQuery, wantMsg: "'ne'"},
		{name: "any on disabledPlans", filter: "assignedLicenses/any(x:x/disabledPlans eq 'a')", wantCode: codeUnsupportedQuery, wantMsg: "disabledPlans"},
		{name: "any with and", filter: "assignedLicenses/any(x:x/skuId eq " + skuE3 + " and x/skuId eq " + skuE3 + ")", wantCode: codeUnsupportedQuery, wantMsg: "Only one condition"},
		{name: "all", filter: "assignedLicenses/all(x:x/skuId eq " + skuE3 + ")", wantCode: codeUnsupportedQuery, wantMsg: "assignedLicenses/all"},
		{name: "two SKUs", filter: "assignedLicenses/any(x:x/skuId eq " + skuE3 + ") and assignedLicenses/any(x:x/skuId eq " + skuArchive + ")", wantCode: codeUnsupportedQuery, wantMsg: "only once"},
		{name: "two upns", filter: "userPrincipalName eq 'a@b.c' and userPrincipalName eq 'd@b.c'", wantCode: codeUnsupportedQuery, wantMsg: "only once"},
		{name: "bad GUID in any", filter: "assignedLicenses/any(x:x/skuId eq 'nope')", wantCode: codeBadRequest, wantMsg: "Edm.Guid"},
		{name: "bad id", filter: "id eq 'nope'", wantCode: codeBadRequest, wantMsg: "Edm.Guid"},
		{name: "quoted boolean", filter: "accountEnabled eq 'true'", wantCode: codeBadRequest, wantMsg: "Edm.Boolean"},
		{name: "unterminated string", filter: "userPrincipalName eq 'a", wantCode: codeBadRequest, wantMsg: "not terminated"},
		{name: "empty", filter: "  ", wantCode: codeBadRequest, wantMsg: "empty"},
		{name: "dangling and", filter: "accountEnabled eq true and", wantCode: codeBadRequest, wantMsg: "end of filter"},
		{name: "unbalanced", filter: "(accountEnabled eq true", wantCode: codeBadRequest, wantMsg: "expected ')'"},
		{name: "bad character", filter: "accountEnabled = true", wantCode: codeBadRequest, wantMsg: "'='"},
		{name: "wrong lambda variable", filter: "assignedLicenses/any(x:y/skuId eq " + skuE3 + ")", wantCode: codeBadRequest, wantMsg: "lambda variable"},
		{name: "too deep", filter: strings.Repeat("(", 40) + "accountEnabled eq true" + strings.Repeat(")", 40), wantCode: codeBadRequest, wantMsg: "too deeply"},
		{name: "too long", filter: "displayName eq '" + strings.Repeat("x", 5000) + "'", wantCode: codeBadRequest, wantMsg: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := parseFilter(tt.filter)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("parseFilter(%q): %v", tt.filter, err)
				}
				if d := diff(tt.want, q.filter); d != "" || q.advanced != tt.advanced {
					t.Errorf("parseFilter(%q) (-want +got):\n%sadvanced %v, want %v", tt.filter, d, q.advanced, tt.advanced)
				}
				return
			}
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("parseFilter(%q) = %v, want an *apiError", tt.filter, err)
			}
			if ae.code != tt.wantCode || !strings.Contains(ae.message, tt.wantMsg) || ae.status != http.StatusBadRequest {
				t.Errorf("error -want +got\n-400 %s: …%s…\n+%d %s: %s", tt.wantCode, tt.wantMsg, ae.status, ae.code, ae.message)
			}
		})
	}
}

// TestQueryOptions checks the query options of the listings over HTTP.
func TestQueryOptions(t *testing.T) {
	f := newFixture(t)
	a := f.a
	ev := map[string]string{"ConsistencyLevel": "eventual"}
	unlicensed := url.QueryEscape("assignedLicenses/$count eq 0")
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"top 0", "/v1.0/users?$top=0", nil, 400, codeBadRequest, "Invalid page size specified: '0'. Must be between 1 and 999 inclusive."},
		{"top 1000", "/v1.0/users?$top=1000", nil, 400, codeBadRequest, "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{"top not a number", "/v1.0/users?$top=ten", nil, 400, codeBadRequest, "Invalid page size specified: 'ten'."},
		{"top twice", "/v1.0/users?$top=1&$top=2", nil, 400, codeBadRequest, "more than once"},
		{"top twice in two cases", "/v1.0/users?$top=1&$TOP=2", nil, 400, codeBadRequest, "more than once"},
		{"bad skiptoken", "/v1.0/users?$skiptoken=garbage!", nil, 400, codeBadRequest, "$skiptoken is invalid"},
		{"forged skiptoken", "/v1.0/users?$skiptoken=" + encodeSkipToken("not-a-guid"), nil, 400, codeBadRequest, "$skiptoken is invalid"},
		{"orderby", "/v1.0/users?$orderby=displayName", nil, 400, codeUnsupportedQuery, "'$orderby'"},
		{"expand", "/v1.0/users?$expand=manager", nil, 400, codeUnsupportedQuery, "'$expand'"},
		{"search", "/v1.0/users?$search=%22displayName:a%22", ev, 400, codeUnsupportedQuery, "'$search'"},
		{"skip", "/v1.0/users?$skip=5", nil, 400, codeUnsupportedQuery, "'$skip'"},
		{"unsupported filter", "/v1.0/users?$filter=" + url.QueryEscape("displayName eq 'x'"), nil, 400, codeUnsupportedQuery, "displayName"},
		{"filter syntax", "/v1.0/users?$filter=" + url.QueryEscape("userPrincipalName eq"), nil, 400, codeBadRequest, "Invalid filter clause"},
		{"unknown select", "/v1.0/users?$select=id,shoeSize", nil, 400, codeBadRequest, "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."},
		{"empty select item", "/v1.0/users?$select=id,", nil, 400, codeBadRequest, "empty"},
		{"count without header", "/v1.0/users?$count=true", nil, 400, codeBadRequest, "ConsistencyLevel"},
		{"count maybe", "/v1.0/users?$count=maybe", ev, 400, codeBadRequest, "$count"},
		{"$count segment without header", "/v1.0/users/$count", nil, 400, codeBadRequest, "ConsistencyLevel"},
		{"$count segment with top", "/v1.0/users/$count?$top=5", ev, 400, codeUnsupportedQuery, "'$top'"},
		{"unlicensed without header", "/v1.0/users?$count=true&$filter=" + unlicensed, nil, 400, codeBadRequest, "ConsistencyLevel"},
		{"unlicensed without $count", "/v1.0/users?$filter=" + unlicensed, ev, 400, codeUnsupportedQuery, "advanced query"},
		{"deleted by license", "/v1.0/directory/deletedItems/microsoft.graph.user?$filter=" + unlicensed + "&$count=true", ev, 400, codeUnsupportedQuery, "Deleted users"},
		{"skus filter", "/v1.0/subscribedSkus?$filter=" + url.QueryEscape("skuPartNumber eq 'SPE_E3'"), nil, 400, codeUnsupportedQuery, "'$filter'"},
		{"skus top", "/v1.0/subscribedSkus?$top=1", nil, 400, codeUnsupportedQuery, "'$top'"},
		{"skus bad select", "/v1.0/subscribedSkus?$select=colour", nil, 400, codeBadRequest, "microsoft.graph.subscribedSku"},
		{"subscriptions bad select", "/v1.0/directory/subscriptions?$select=x", nil, 400, codeBadRequest, "microsoft.graph.companySubscription"},
		{"licenseDetails bad select", "/v1.0/me/licenseDetails?$select=x", nil, 400, codeBadRequest, "microsoft.graph.licenseDetails"},
		{"malformed query", "/v1.0/users?$top=%zz", nil, 400, codeBadRequest, "malformed"},
		{"plain top ignored", "/v1.0/users?top=0&foo=bar", nil, 200, "", ""},
		{"unlicensed advanced", "/v1.0/users?$count=true&$filter=" + unlicensed, ev, 200, "", ""},
		{"select star", "/v1.0/users?$select=*", nil, 200, "", ""},
		{"skus select", "/v1.0/subscribedSkus?$select=skuId,SKUPARTNUMBER", nil, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.do(t, request{method: "GET", path: tt.path, token: a.tokens[callerReader], header: tt.header})
			if resp.status != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d\n%s", tt.wantStatus, resp.status, resp.body)
			}
			if tt.wantStatus == http.StatusOK {
				return
			}
			e := resp.envelope(t)
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("error -want +got\n-%s: …%s…\n+%s: %s", tt.wantCode, tt.wantMsg, e.Error.Code, e.Error.Message)
			}
		})
	}
	t.Run("subscribedSkus $select", func(t *testing.T) {
		v := f.get(t, a, callerReader, "/v1.0/subscribedSkus?$select=skuId,SKUPARTNUMBER").values(t)
		for _, s := range v {
			if len(s) != 2 || s["skuId"] == nil || s["skuPartNumber"] == nil {
				t.Errorf("selected subscribedSku = %v, want skuId and skuPartNumber only", s)
			}
		}
	})
}
