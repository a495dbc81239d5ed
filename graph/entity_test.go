package graph

import (
	"context"
	"net/http"
	"testing"

	"github.com/allot-project/allot"
)

// TestODataContext checks the @odata.context of every entity and
// collection endpoint, with and without $select, and the properties a
// $select leaves.
func TestODataContext(t *testing.T) {
	f := newFixture(t)
	a := f.a
	u := f.freshUser(t, a)
	_, err := f.db.AssignLicenses(context.Background(), sys(a.tenant.ID), u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuE3}}})
	must(t, err)
	del := f.deletedUser(t, a)
	sub := a.subs[skuE3].ID
	details := licenseDetailsID(a.tenant.ID, skuE3)
	const meta = "http://allot.test/v1.0/$metadata#"
	tests := []struct {
		name      string
		path      string
		want      string
		wantProps int // of the entity, or of the collection's first item
	}{
		{name: "user", path: "/v1.0/users/" + u.ID, want: meta + "users/$entity", wantProps: len(userDefaults)},
		{name: "user $select", path: "/v1.0/users/" + u.ID + "?$select=ID,assignedLicenses", want: meta + "users(id,assignedLicenses)/$entity", wantProps: 2},
		{name: "me $select", path: "/v1.0/me?$select=displayName", want: meta + "users(displayName)/$entity", wantProps: 1},
		{name: "users", path: "/v1.0/users", want: meta + "users", wantProps: len(userDefaults)},
		{name: "users $select", path: "/v1.0/users?$select=id", want: meta + "users(id)", wantProps: 1},
		{name: "subscribedSku", path: "/v1.0/subscribedSkus/SPE_E3", want: meta + "subscribedSkus/$entity", wantProps: 12}, // Graph's 11 and allot's selfServiceUnits
		{name: "subscribedSku $select", path: "/v1.0/subscribedSkus/SPE_E3?$select=skuId", want: meta + "subscribedSkus(skuId)/$entity", wantProps: 1},
		{name: "subscribedSkus $select", path: "/v1.0/subscribedSkus?$select=skuId,consumedUnits", want: meta + "subscribedSkus(skuId,consumedUnits)", wantProps: 2},
		{name: "subscription", path: "/v1.0/directory/subscriptions/" + sub, want: meta + "directory/subscriptions/$entity", wantProps: 13},
		{name: "subscription $select", path: "/v1.0/directory/subscriptions/" + sub + "?$select=status", want: meta + "directory/subscriptions(status)/$entity", wantProps: 1},
		{name: "subscriptions", path: "/v1.0/directory/subscriptions", want: meta + "directory/subscriptions", wantProps: 13},
		{name: "licenseDetails", path: "/v1.0/users/" + u.ID + "/licenseDetails", want: meta + "users('" + u.ID + "')/licenseDetails", wantProps: 4},
		{name: "licenseDetails $select", path: "/v1.0/users/" + u.ID + "/licenseDetails/" + details + "?$select=skuId", want: meta + "users('" + u.ID + "')/licenseDetails(skuId)/$entity", wantProps: 1},
		{name: "deleted users", path: "/v1.0/directory/deletedItems/microsoft.graph.user", want: meta + "directory/deletedItems/microsoft.graph.user", wantProps: len(userDefaults) + 1},
		{name: "deleted user", path: "/v1.0/directory/deletedItems/" + del.ID, want: meta + "directoryObjects/$entity", wantProps: len(userDefaults) + 2},
		{name: "deleted user $select", path: "/v1.0/directory/deletedItems/" + del.ID + "?$select=id", want: meta + "directoryObjects/$entity", wantProps: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.get(t, a, callerGlobal, tt.path)
			if resp.status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			m := resp.object(t)
			if got := m["@odata.context"]; got != tt.want {
				t.Errorf("@odata.context -want +got\n-%s\n+%v", tt.want, got)
			}
			item := m
			if _, ok := m["value"]; ok {
				item = resp.values(t)[0]
			}
			got := 0
			for k := range item {
				if k != "@odata.context" {
					got++
				}
			}
			if got != tt.wantProps {
				t.Errorf("properties -want +got\n-%d\n+%d: %v", tt.wantProps, got, item)
			}
		})
	}
}
