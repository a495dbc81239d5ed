package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const auditsPath = "/v1.0/auditLogs/directoryAudits"

// auditsOf GETs the audit log with a $filter and decodes the page.
func (f *fixture) auditsOf(t *testing.T, tf *tenantFixture, caller, filter string) ([]DirectoryAudit, *response) {
	t.Helper()
	path := auditsPath
	if filter != "" {
		path += "?$filter=" + url.QueryEscape(filter)
	}
	r := f.get(t, tf, caller, path)
	if r.status != http.StatusOK {
		return nil, r
	}
	var p struct {
		Value []DirectoryAudit `json:"value"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, r.body)
	}
	return p.Value, r
}

func strPtr(s string) *string { return &s }

// TestDirectoryAuditShape checks a license change as Graph's
// directoryAudit renders it.
func TestDirectoryAuditShape(t *testing.T) {
	f := newFixture(t)
	target, global := f.a.users["target"], f.a.users[callerGlobal]
	r := f.send(t, f.a, callerGlobal, "POST", "/v1.0/users/"+target.ID+"/assignLicense",
		`{"addLicenses":[{"skuId":"`+skuE3+`","disabledPlans":["`+planTeams+`"]}],"removeLicenses":[]}`)
	if r.status != http.StatusOK {
		t.Fatalf("assignLicense: %d %s", r.status, r.body)
	}
	got, r := f.auditsOf(t, f.a, callerGlobal, "targetResources/any(t:t/id eq '"+target.ID+"')")
	if got == nil {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	want := DirectoryAudit{ID: got[0].ID, Category: "UserManagement", Result: "success", ActivityDisplayName: "Change user license",
		ActivityDateTime: f.clock.Now().Format(dateTimeFormat), LoggedByService: "Core Directory", OperationType: "Assign",
		InitiatedBy: AuditActivityActor{User: &UserIdentity{ID: global.ID, UserPrincipalName: global.UserPrincipalName}},
		TargetResources: []TargetResource{
			{ID: target.ID, DisplayName: target.DisplayName, Type: "User", UserPrincipalName: target.UserPrincipalName, ModifiedProperties: []ModifiedProperty{
				{DisplayName: "disabledPlans", NewValue: strPtr(`["` + planTeams + `"]`)},
				{DisplayName: "skuId", NewValue: strPtr(`"` + skuE3 + `"`)},
				{DisplayName: "subscriptionId", NewValue: strPtr(`""`)},
			}},
			{ID: skuE3, DisplayName: "SPE_E3", Type: "Product", ModifiedProperties: []ModifiedProperty{}},
		},
		AdditionalDetails: []KeyValue{{"channel", "API"}}}
	if d := diff(want, got[0]); d != "" {
		t.Errorf("the license change (-want +got):\n%s", d)
	}
	if n := len(got); n != 2 || got[1].ActivityDisplayName != "Add user" || got[1].InitiatedBy.App == nil {
		t.Errorf("the user's events: %d, the second %+v; want the license change and 'Add user' by allot", n, got[1])
	}
	one := f.get(t, f.a, callerReader, auditsPath+"/"+got[0].ID)
	var single DirectoryAudit
	if err := json.Unmarshal(one.body, &single); one.status != http.StatusOK || err != nil || diff(want, single) != "" {
		t.Errorf("GET /{id}: %d %s (-want +got):\n%s", one.status, one.body, diff(want, single))
	}
	if ctx := one.object(t)["@odata.context"]; !strings.HasSuffix(ctx.(string), "#auditLogs/directoryAudits/$entity") {
		t.Errorf("@odata.context = %v", ctx)
	}
}

// TestDirectoryAuditFilters checks each $filter clause, alone and with
// 'and', and the refusals.
func TestDirectoryAuditFilters(t *testing.T) {
	f := newFixture(t)
	target, license := f.a.users["target"], f.a.users[callerLicense]
	start := f.clock.Now()
	f.clock.Add(time.Minute)
	assign := `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":[]}],"removeLicenses":[]}`
	if r := f.send(t, f.a, callerLicense, "POST", "/v1.0/users/"+target.ID+"/assignLicense", assign); r.status != http.StatusOK {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	f.clock.Add(time.Minute)
	mid := f.clock.Now()
	if r := f.send(t, f.a, callerUser, "PATCH", "/v1.0/users/"+target.ID, `{"jobTitle":"Boss"}`); r.status != http.StatusNoContent {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	stamp := func(at time.Time) string { return at.Format(dateTimeFormat) }
	tests := []struct {
		name, filter string
		want         []string // activityDisplayName of each event
	}{
		{"since", "activityDateTime ge " + stamp(start), []string{"Update user", "Change user license"}},
		{"quoted and gt", "activityDateTime gt '" + stamp(start) + "'", []string{"Update user", "Change user license"}},
		{"gt excludes the instant", "activityDateTime gt " + stamp(mid), []string{}},
		{"a range", "activityDateTime ge " + stamp(start) + " and activityDateTime lt " + stamp(mid), []string{"Change user license"}},
		{"a day after", "activityDateTime ge 2026-03-02", []string{}},
		{"le includes the instant", "activityDateTime gt " + stamp(start) + " and activityDateTime le " + stamp(mid), []string{"Update user", "Change user license"}},
		{"initiator", "initiatedBy/user/id eq '" + license.ID + "'", []string{"Change user license"}},
		{"category", "category eq 'UserManagement' and activityDateTime ge " + stamp(start), []string{"Update user", "Change user license"}},
		{"product", "targetResources/any(x: x/id eq " + skuE3 + ") and activityDateTime ge " + stamp(start), []string{"Change user license"}},
		{"target and product", "targetResources/any(t:t/id eq '" + target.ID + "') and targetResources/any(t:t/id eq '" + skuE3 + "')", []string{"Change user license"}},
		{"other category", "category eq 'RoleManagement' and activityDateTime ge " + stamp(start), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := f.auditsOf(t, f.a, callerGlobal, tt.filter)
			if r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			names := []string{}
			for _, e := range got {
				names = append(names, e.ActivityDisplayName)
			}
			if d := diff(tt.want, names); d != "" {
				t.Errorf("$filter=%s (-want +got):\n%s", tt.filter, d)
			}
		})
	}
	refusals := []struct{ name, filter, code, msg string }{
		{"or", "category eq 'a' or category eq 'b'", codeUnsupportedQuery, "'or'"},
		{"ne", "category ne 'a'", codeUnsupportedQuery, "'ne'"},
		{"eq on time", "activityDateTime eq 2026-03-01", codeUnsupportedQuery, "'eq'"},
		{"bad time", "activityDateTime ge yesterday", codeBadRequest, "Edm.DateTimeOffset"},
		{"unknown property", "activityDisplayName eq 'Add user'", codeUnsupportedQuery, "activityDisplayName"},
		{"lambda on another property", "targetResources/any(t:t/displayName eq 'x')", codeUnsupportedQuery, "Only id"},
		{"bad id", "targetResources/any(t:t/id eq 'nope')", codeBadRequest, "Edm.Guid"},
		{"two initiators", "initiatedBy/user/id eq '" + license.ID + "' and initiatedBy/user/id eq '" + target.ID + "'", codeUnsupportedQuery, "only once"},
		{"initiator group", "initiatedBy/group/id eq '" + license.ID + "'", codeUnsupportedQuery, "initiatedBy/group"},
		{"syntax", "(category eq 'a'", codeBadRequest, "expected ')'"},
	}
	for _, tt := range refusals {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			_, r := f.auditsOf(t, f.a, callerGlobal, tt.filter)
			e := r.envelope(t)
			if r.status != http.StatusBadRequest || e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.msg) {
				t.Errorf("$filter=%s: %d %s %q, want 400 %s containing %q", tt.filter, r.status, e.Error.Code, e.Error.Message, tt.code, tt.msg)
			}
		})
	}
}

// TestDirectoryAuditVisibility checks who reads what of the log, and that
// nothing of another tenant shows.
func TestDirectoryAuditVisibility(t *testing.T) {
	f := newFixture(t)
	target := f.a.users["target"]
	assign := `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":[]}],"removeLicenses":[]}`
	if r := f.send(t, f.a, callerGlobal, "POST", "/v1.0/users/"+target.ID+"/assignLicense", assign); r.status != http.StatusOK {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	filter := "targetResources/any(t:t/id eq '" + target.ID + "')"
	tests := []struct {
		caller string
		status int
		want   []string
	}{
		{callerGlobal, http.StatusOK, []string{"Change user license", "Add user"}},
		{callerReader, http.StatusOK, []string{"Change user license", "Add user"}},
		{callerLicense, http.StatusOK, []string{"Change user license"}},
		{callerUser, http.StatusForbidden, nil},
		{callerBilling, http.StatusForbidden, nil},
		{callerOrdinary, http.StatusForbidden, nil},
		{callerNone, http.StatusUnauthorized, nil},
	}
	for _, tt := range tests {
		t.Run(tt.caller, func(t *testing.T) {
			got, r := f.auditsOf(t, f.a, tt.caller, filter)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status != http.StatusOK {
				r.envelope(t)
				return
			}
			var names []string
			for _, e := range got {
				names = append(names, e.ActivityDisplayName)
			}
			if d := diff(tt.want, names); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if got, _ := f.auditsOf(t, f.b, callerGlobal, filter); len(got) != 0 {
		t.Errorf("another tenant reads %d events of the target", len(got))
	}
	other, _ := f.auditsOf(t, f.a, callerGlobal, "")
	if r := f.get(t, f.b, callerGlobal, auditsPath+"/"+other[0].ID); r.status != http.StatusNotFound {
		t.Errorf("another tenant's event by id: %d, want 404", r.status)
	}
	if r := f.get(t, f.a, callerLicense, auditsPath+"/"+other[len(other)-1].ID); r.status != http.StatusNotFound {
		t.Errorf("a License Administrator reading a tenant event by id: %d, want 404", r.status)
	}
	for _, id := range []string{"0", "abc", "99999999"} {
		if r := f.get(t, f.a, callerGlobal, auditsPath+"/"+id); r.status != http.StatusNotFound || r.envelope(t).Error.Code != codeNotFound {
			t.Errorf("event %q: %d %s, want 404", id, r.status, r.body)
		}
	}
	if r := f.get(t, f.a, callerOrdinary, auditsPath+"?$filter=nonsense&$top=0"); r.status != http.StatusForbidden {
		t.Errorf("an ordinary user with a bad query: %d, want 403 before the query is read", r.status)
	}
	if r := f.get(t, f.a, callerUser, auditsPath+"/abc"); r.status != http.StatusForbidden {
		t.Errorf("a User Administrator asking a bad id: %d, want 403", r.status)
	}
}

// TestDirectoryAuditPaging follows @odata.nextLink to the end of the log.
func TestDirectoryAuditPaging(t *testing.T) {
	f := newFixture(t)
	all, _ := f.auditsOf(t, f.a, callerGlobal, "")
	var ids []string
	link := auditsPath + "?$top=3&$filter=" + url.QueryEscape("category eq 'UserManagement'")
	for pages := 0; link != ""; pages++ {
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		r := f.get(t, f.a, callerGlobal, link)
		var p page
		if err := json.Unmarshal(r.body, &p); r.status != http.StatusOK || err != nil {
			t.Fatalf("GET %s: %d %s", link, r.status, r.body)
		}
		if len(p.Value) > 3 {
			t.Fatalf("page of %d events, want at most 3", len(p.Value))
		}
		for _, e := range p.Value {
			ids = append(ids, e["id"].(string))
		}
		link = strings.TrimPrefix(p.NextLink, "http://allot.test")
	}
	var want []string
	for _, e := range all {
		if e.Category == "UserManagement" {
			want = append(want, e.ID)
		}
	}
	if d := diff(want, ids); d != "" || len(want) < 4 {
		t.Errorf("paged ids (-want +got):\n%s", d)
	}
	for _, q := range []string{"$skiptoken=nope", "$skiptoken=" + encodeSkipToken(skuE3), "$skiptoken=a&$skiptoken=b", "$top=0", "$select=id"} {
		if r := f.get(t, f.a, callerGlobal, auditsPath+"?"+q); r.status != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", q, r.status)
		}
	}
}
