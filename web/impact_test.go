package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// manyHolders gives Office 365 E3 to 30 new users, "Bulk User 01" to
// "Bulk User 30", the fifth on hold, and returns their ids in that order.
func manyHolders(t *testing.T, f *fixture) []string {
	t.Helper()
	ctx := context.Background()
	sub := &allot.Subscription{SKUID: demo.SKUOffice365E3, Status: allot.StatusEnabled, OwnerType: allot.OwnerAdmin, Quantity: 40}
	if err := f.db.CreateSubscription(ctx, f.sysUser, sub); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 1; i <= 30; i++ {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("bulk%02d@%s", i, demo.Domain), DisplayName: fmt.Sprintf("Bulk User %02d", i), UsageLocation: "FR", AccountEnabled: true}
		if err := f.db.CreateUser(ctx, f.sysUser, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	res, err := f.db.AssignLicensesBulk(ctx, f.sysUser, allot.BulkLicenseChange{Users: ids, Change: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: demo.SKUOffice365E3}}}, AllOrNothing: true})
	if err != nil || len(res) != 30 {
		t.Fatalf("assigning E3 to the bulk users: %d results, %v", len(res), err)
	}
	if err := f.db.CreateHold(ctx, f.sysUser, &allot.Hold{UserID: ids[4], Name: "Case 5"}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestUnassignImpactMany checks that the confirmation of an unassignment
// from more than impactListed users previews every one of them with the
// store's bulk dry run: the summary counts all 30, the first 20 have a
// line each and the others are counted, a user the change would refuse
// is counted, and nothing changes. Users selected one by one and "select
// all matching" alike.
func TestUnassignImpactMany(t *testing.T) {
	f := newFixture(t)
	ids := manyHolders(t, f)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	csrf := b.get("/licenses/" + demo.SKUOffice365E3).csrf(t)
	const summary = "30 mailboxes will be disconnected now; the first will be purged on Dec 20, 2026 unless a license with a mailbox comes back. 1 of them is on hold"
	tests := []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"selected", url.Values{"user": append(append([]string{}, ids...), "ghost"), "step": {"confirm"}}, []string{
			"Unassign Office 365 E3 from 31 users?", summary,
			"Bulk User 01 — Mailbox: Disconnected, purged on Dec 20, 2026 unless a license with a mailbox comes back; Files: Kept",
			"Bulk User 05 — Mailbox: Disconnected, kept as an inactive mailbox from Dec 20, 2026 while held; Files: Kept",
			"Bulk User 20 — Mailbox", "and 10 more", "1 user would be refused and left as is"}},
		{"all matching", url.Values{"all": {"1"}, "q": {"Bulk"}, "step": {"confirm"}}, []string{
			"Unassign Office 365 E3 from 30 users?", summary, "and 10 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", csrf)
			res := b.post("/licenses/"+demo.SKUOffice365E3+"/unassign", tt.form)
			got := res.text()
			for _, want := range tt.wants {
				if !strings.Contains(got, want) {
					t.Errorf("confirmation lacks %q:\n%s", want, got)
				}
			}
			if n := strings.Count(got, " — Mailbox: "); n != impactListed {
				t.Errorf("%d users' lines, want %d:\n%s", n, impactListed, got)
			}
			if strings.Contains(got, "Preview of the first") {
				t.Errorf("the preview does not cover every user:\n%s", got)
			}
		})
	}
	for _, id := range ids {
		if d, err := f.db.FindUserData(context.Background(), f.sysUser, id); err != nil || d.Mailbox != allot.MailboxActive {
			t.Fatalf("the preview changed %s's mailbox: %+v %v", id, d, err)
		}
	}
	if n, err := f.db.CountUsers(context.Background(), f.sysUser, allot.UserFilter{SKUID: demo.SKUOffice365E3, NamePrefix: "Bulk"}); err != nil || n != 30 {
		t.Errorf("users holding E3 after the previews: %d, %v; want 30", n, err)
	}
}
