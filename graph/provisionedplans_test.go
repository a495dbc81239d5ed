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

// TestAssignedPlansDeleted selects assignedPlans on a user whose mailbox
// license goes: the plan shows as Deleted while the mailbox is kept, only
// as Enabled once licensed again, and no more once the mailbox is purged.
func TestAssignedPlansDeleted(t *testing.T) {
	f := newFixture(t)
	a := f.a
	ctx := context.Background()
	target := a.users["target"]
	exStd := f.db.Catalog().ServicePlan("EXCHANGE_S_STANDARD").ID
	plans := func() map[string]string {
		t.Helper()
		resp := f.get(t, a, callerReader, "/v1.0/users/"+target.ID+"?$select=assignedPlans")
		if resp.status != http.StatusOK {
			t.Fatalf("$select=assignedPlans: %d %s", resp.status, resp.body)
		}
		out := map[string]string{}
		for _, p := range resp.object(t)["assignedPlans"].([]any) {
			m := p.(map[string]any)
			out[m["servicePlanId"].(string)] = m["service"].(string) + "/" + m["capabilityStatus"].(string)
		}
		return out
	}
	change := func(ch allot.LicenseChange) {
		t.Helper()
		_, err := f.db.AssignLicenses(ctx, sys(a.tenant.ID), target.ID, ch)
		must(t, err)
	}
	steps := []struct {
		name string
		do   func()
		want map[string]string
	}{
		{"licensed", func() { change(allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExchangeStd}}}) }, map[string]string{exStd: "exchange/Enabled"}},
		{"removed, mailbox in grace", func() { change(allot.LicenseChange{Remove: []string{skuExchangeStd}}) }, map[string]string{exStd: "exchange/Deleted"}},
		{"licensed again", func() { change(allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuExchangeStd}}}) }, map[string]string{exStd: "exchange/Enabled"}},
		{"removed again", func() { change(allot.LicenseChange{Remove: []string{skuExchangeStd}}) }, map[string]string{exStd: "exchange/Deleted"}},
		{"purged", func() {
			_, err := f.db.ExpireUserData(ctx, f.clock.Now().Add(allot.MailboxGrace))
			must(t, err)
		}, map[string]string{}},
	}
	for _, st := range steps {
		st.do()
		if got := plans(); !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s (-want +got):\n-%v\n+%v", st.name, st.want, got)
		}
	}
}
