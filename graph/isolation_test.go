package graph

import (
	"net/http"
	"strings"
	"testing"
)

// TestTenantIsolation checks that tenant B's Global Administrator can
// neither see nor change tenant A's objects, by id or by name: every such
// request is 404, and A's objects stay as they were.
func TestTenantIsolation(t *testing.T) {
	f := newFixture(t)
	a, b := f.a, f.b
	victim := a.users["target"]
	deleted := f.deletedUser(t, a)
	assign := `{"addLicenses":[{"skuId":"` + skuE3 + `"}],"removeLicenses":[]}`
	tests := []struct {
		name, method, path, body string
	}{
		{"get user by id", "GET", "/v1.0/users/" + victim.ID, ""},
		{"get user by UPN", "GET", "/v1.0/users/" + victim.UserPrincipalName, ""},
		{"licenseDetails", "GET", "/v1.0/users/" + victim.ID + "/licenseDetails", ""},
		{"update user", "PATCH", "/v1.0/users/" + victim.ID, `{"displayName":"Hacked"}`},
		{"delete user", "DELETE", "/v1.0/users/" + victim.UserPrincipalName, ""},
		{"assignLicense", "POST", "/v1.0/users/" + victim.ID + "/assignLicense", assign},
		{"subscribedSku", "GET", "/v1.0/subscribedSkus/" + a.tenant.ID + "_" + skuE3, ""},
		{"subscription", "GET", "/v1.0/directory/subscriptions/" + a.subs[skuE3].ID, ""},
		{"deleted user", "GET", "/v1.0/directory/deletedItems/" + deleted.ID, ""},
		{"restore", "POST", "/v1.0/directory/deletedItems/" + deleted.ID + "/restore", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.send(t, b, callerGlobal, tt.method, tt.path, tt.body)
			if resp.status != http.StatusNotFound {
				t.Fatalf("status -want +got\n-404\n+%d\n%s", resp.status, resp.body)
			}
			if e := resp.envelope(t); e.Error.Code != codeNotFound {
				t.Errorf("code -want +got\n-%s\n+%s", codeNotFound, e.Error.Code)
			}
		})
	}
	t.Run("A unchanged", func(t *testing.T) {
		resp := f.get(t, a, callerGlobal, "/v1.0/users/"+victim.ID)
		if got := resp.object(t)["displayName"]; got != victim.DisplayName {
			t.Errorf("displayName -want +got\n-%s\n+%v", victim.DisplayName, got)
		}
		if got := f.licenses(t, a, victim.ID); len(got) != 0 {
			t.Errorf("victim's licenses = %v, want none", got)
		}
		if got := f.consumed(t, a, skuE3); got != 0 {
			t.Errorf("A's E3 consumed = %d, want 0", got)
		}
		if resp := f.get(t, a, callerGlobal, "/v1.0/directory/deletedItems/"+deleted.ID); resp.status != http.StatusOK {
			t.Errorf("deleted user of A is no longer deleted: %d %s", resp.status, resp.body)
		}
	})
	aIDs := map[string]bool{a.tenant.ID: true}
	for _, u := range a.users {
		aIDs[u.ID] = true
	}
	for _, s := range a.subs {
		aIDs[s.ID] = true
	}
	aIDs[deleted.ID] = true
	lists := []string{
		"/v1.0/users?$select=id,userPrincipalName&$top=999",
		"/v1.0/users?$filter=userPrincipalName%20eq%20'" + victim.UserPrincipalName + "'",
		"/v1.0/users?$filter=id%20eq%20'" + victim.ID + "'",
		"/v1.0/subscribedSkus",
		"/v1.0/directory/subscriptions",
		"/v1.0/directory/deletedItems/microsoft.graph.user",
	}
	for _, path := range lists {
		t.Run("list "+path, func(t *testing.T) {
			resp := f.get(t, b, callerGlobal, path)
			if resp.status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			for id := range aIDs {
				if strings.Contains(string(resp.body), id) {
					t.Errorf("tenant B's listing shows A's id %s:\n%s", id, resp.body)
				}
			}
			if strings.Contains(string(resp.body), "contoso.example") {
				t.Errorf("tenant B's listing shows A's domain:\n%s", resp.body)
			}
		})
	}
	t.Run("count", func(t *testing.T) {
		resp := f.get(t, b, callerGlobal, "/v1.0/users/$count?$filter=userPrincipalName%20eq%20'"+victim.UserPrincipalName+"'", "ConsistencyLevel", "eventual")
		if string(resp.body) != "0" {
			t.Errorf("B counts A's user: -want +got\n-0\n+%s", resp.body)
		}
	})
}
