package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// page is a decoded collection page.
type page struct {
	Count    *int             `json:"@odata.count"`
	NextLink string           `json:"@odata.nextLink"`
	Value    []map[string]any `json:"value"`
}

// fetch GETs an absolute URL with a token and the advanced-query header.
func fetch(t *testing.T, rawURL, token string) page {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("ConsistencyLevel", "eventual")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rawURL, resp.StatusCode, body)
	}
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return p
}

// collect follows @odata.nextLink verbatim from first and returns the ids
// of every page, failing on an id seen twice.
func collect(t *testing.T, srv *httptest.Server, first, token string) (ids []string, pages int, firstPage page) {
	t.Helper()
	seen := map[string]bool{}
	for link := first; link != ""; pages++ {
		if pages > 50 {
			t.Fatal("paging does not end")
		}
		p := fetch(t, link, token)
		if pages == 0 {
			firstPage = p
		}
		for _, u := range p.Value {
			id := u["id"].(string)
			if seen[id] {
				t.Fatalf("user %s returned twice", id)
			}
			seen[id] = true
			ids = append(ids, id)
		}
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, srv.URL+"/v1.0/") {
			t.Fatalf("nextLink %q is not an absolute URL on %s", p.NextLink, srv.URL)
		}
		link = p.NextLink
	}
	return ids, pages, firstPage
}

// TestPaging creates 250 users (a third of them licensed) and pages
// through them, with filters and $count, following nextLink verbatim.
func TestPaging(t *testing.T) {
	f := newFixture(t, func(o *Options, _ *Services) { o.PublicURL = "" }) // links on the listener's address
	a := f.a
	ctx := context.Background()
	p := sys(a.tenant.ID)
	licensed := map[string]bool{}
	for i := 0; i < 250; i++ {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("page%03d@contoso.example", i), DisplayName: fmt.Sprintf("Page %03d", i), UsageLocation: "US", AccountEnabled: true}
		must(t, f.db.CreateUser(ctx, p, u))
		if i%3 == 0 {
			_, err := f.db.AssignLicenses(ctx, p, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
			must(t, err)
			licensed[u.ID] = true
		}
	}
	total, err := f.db.CountUsers(ctx, p, allot.UserFilter{})
	must(t, err)
	srv := httptest.NewServer(f.srv.Handler())
	defer srv.Close()
	token := a.tokens[callerReader]
	anyE3 := url.PathEscape("assignedLicenses/any(x:x/skuId eq " + skuE3 + ")")
	tests := []struct {
		name      string
		query     string
		wantN     int
		wantPages int
		wantCount int // -1 when $count is not asked
		check     func(t *testing.T, ids []string)
	}{
		{name: "all users", query: "$top=100&$select=id,displayName", wantN: total, wantPages: 3, wantCount: -1},
		{name: "with count", query: "$count=true&$top=100", wantN: total, wantPages: 3, wantCount: total},
		{name: "licensed, SDK encoding", query: "$count=true&$filter=" + anyE3 + "&$select=id,userPrincipalName&$top=30", wantN: len(licensed), wantPages: 3, wantCount: len(licensed),
			check: func(t *testing.T, ids []string) {
				for _, id := range ids {
					if !licensed[id] {
						t.Errorf("user %s does not hold E3", id)
					}
				}
			}},
		{name: "unlicensed", query: "$count=true&$filter=" + url.QueryEscape("assignedLicenses/$count eq 0") + "&$top=999", wantN: total - len(licensed), wantPages: 1, wantCount: total - len(licensed),
			check: func(t *testing.T, ids []string) {
				for _, id := range ids {
					if licensed[id] {
						t.Errorf("user %s holds E3", id)
					}
				}
			}},
		{name: "prefix and enabled", query: "$filter=" + url.QueryEscape("startsWith(displayName,'page 1') and accountEnabled eq true") + "&$top=7", wantN: 100, wantPages: 15, wantCount: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, pages, first := collect(t, srv, srv.URL+"/v1.0/users?"+tt.query, token)
			if len(ids) != tt.wantN || pages != tt.wantPages {
				t.Errorf("-want +got\n-%d users in %d pages\n+%d users in %d pages", tt.wantN, tt.wantPages, len(ids), pages)
			}
			var gotCount int = -1
			if first.Count != nil {
				gotCount = *first.Count
			}
			if gotCount != tt.wantCount {
				t.Errorf("@odata.count -want +got\n-%d\n+%d", tt.wantCount, gotCount)
			}
			for i := 1; i < len(ids); i++ {
				if ids[i-1] >= ids[i] {
					t.Fatalf("ids out of order at %d: %s, %s", i, ids[i-1], ids[i])
				}
			}
			if tt.check != nil {
				tt.check(t, ids)
			}
		})
	}
	t.Run("nextLink keeps the query", func(t *testing.T) {
		p := fetch(t, srv.URL+"/v1.0/users?$count=true&$filter="+anyE3+"&$select=id,userPrincipalName&$top=30", token)
		want := srv.URL + "/v1.0/users?$count=true&$filter=" + anyE3 + "&$select=id,userPrincipalName&$top=30&$skiptoken="
		if !strings.HasPrefix(p.NextLink, want) {
			t.Errorf("nextLink -want +got\n-%s…\n+%s", want, p.NextLink)
		}
		for _, u := range p.Value {
			if len(u) != 2 {
				t.Errorf("$select=id,userPrincipalName returned %v", u)
			}
		}
	})
	t.Run("$count segment", func(t *testing.T) {
		resp := f.get(t, a, callerReader, "/v1.0/users/$count?$filter="+anyE3, "ConsistencyLevel", "eventual")
		if resp.status != http.StatusOK || string(resp.body) != fmt.Sprint(len(licensed)) || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
			t.Errorf("/users/$count -want +got\n-200 text/plain %d\n+%d %s %s", len(licensed), resp.status, resp.header.Get("Content-Type"), resp.body)
		}
	})
}
