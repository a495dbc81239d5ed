package graph

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/allot-project/allot"
)

// TestProvisionedPlans selects provisionedPlans on a user through its
// data lifecycle: licensed, then its license removed (mailbox in grace,
// files kept: Deleted), then past the grace period (the mailbox purged).
func TestProvisionedPlans(t *testing.T) {
	f := newFixture(t)
	a := f.a
	ctx := context.Background()
	target := a.users["target"]
	plans := func() map[string]string {
		t.Helper()
		resp := f.get(t, a, callerReader, "/v1.0/users/"+target.ID+"?$select=id,provisionedPlans")
		if resp.status != http.StatusOK {
			t.Fatalf("$select=provisionedPlans: %d %s", resp.status, resp.body)
		}
		out := map[string]string{}
		for _, p := range resp.object(t)["provisionedPlans"].([]any) {
			m := p.(map[string]any)
			out[m["service"].(string)] = m["capabilityStatus"].(string) + "/" + m["provisioningStatus"].(string)
		}
		return out
	}
	change := func(ch allot.LicenseChange) {
		t.Helper()
		_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), target.ID, ch)
		must(t, err)
	}
	change(allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExchangeStd}}})
	if got, want := plans(), map[string]string{"exchange": "Enabled/Success"}; !reflect.DeepEqual(got, want) {
		t.Errorf("licensed (-want +got):\n-%v\n+%v", want, got)
	}
	change(allot.LicenseChange{Remove: []string{skuExchangeStd}})
	if got, want := plans(), map[string]string{"exchange": "Deleted/Success"}; !reflect.DeepEqual(got, want) {
		t.Errorf("in grace (-want +got):\n-%v\n+%v", want, got)
	}
	_, err := f.db.ExpireUserData(ctx, f.clock.Now().Add(allot.MailboxGrace))
	must(t, err)
	if got := plans(); len(got) != 0 {
		t.Errorf("purged: %v, want none", got)
	}
	if list := f.get(t, a, callerReader, "/v1.0/users?$select=id,provisionedPlans"); list.status != http.StatusOK || len(list.values(t)) == 0 {
		t.Errorf("listing with provisionedPlans: %d %s", list.status, short(list.body))
	}
}
