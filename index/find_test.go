package index

import (
	"context"
	"testing"

	"github.com/allot-project/allot"
)

// TestCheckFindsUser checks how a check names its user: an id in either
// case or a userPrincipalName finds the user, answered with the canonical
// lower-case id; an id that is not a canonical GUID finds nobody.
func TestCheckFindsUser(t *testing.T) {
	ix := New(allot.DemoCatalog(), newBenchSource(3000))
	if err := ix.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	const id = "00000abc-0000-4000-8000-000000000abc" // user 2748
	tests := []struct {
		name       string
		user       string
		wantUserID string
		wantReason string
	}{
		{name: "id", user: id, wantUserID: id, wantReason: allot.ReasonLicensed},
		{name: "upper-case id", user: "00000ABC-0000-4000-8000-000000000ABC", wantUserID: id, wantReason: allot.ReasonLicensed},
		{name: "upn in mixed case", user: "U2748@Bench.Example", wantUserID: id, wantReason: allot.ReasonLicensed},
		{name: "no dashes", user: "00000abc000040008000000000000abc", wantReason: allot.ReasonUserNotFound},
		{name: "underscore for dash", user: "00000abc-0000-4000-8000_000000000abc", wantReason: allot.ReasonUserNotFound},
		{name: "one digit too many", user: id + "0", wantReason: allot.ReasonUserNotFound},
		{name: "not hex", user: "00000abg-0000-4000-8000-000000000abc", wantReason: allot.ReasonUserNotFound},
		{name: "unknown id", user: "ffffffff-0000-4000-8000-000000000abc", wantReason: allot.ReasonUserNotFound},
	}
	p := allot.SystemPrincipal(benchTenant, "test")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Check(context.Background(), p, []allot.CheckRequest{{User: tt.user, ServicePlan: benchExch}})
			if err != nil {
				t.Fatal(err)
			}
			if got := res[0]; got.UserID != tt.wantUserID || got.Reason != tt.wantReason {
				t.Errorf("check(%q) -want +got\n-%s %s\n+%s %s", tt.user, tt.wantUserID, tt.wantReason, got.UserID, got.Reason)
			}
		})
	}
}
