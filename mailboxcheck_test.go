package allot_test

import (
	"testing"

	"github.com/allot-project/allot"
)

// TestCheckMailboxReasons checks the reasons a mailbox plan gives a user
// without it, by the state of its mailbox, and that other plans and
// licensed users are unaffected.
func TestCheckMailboxReasons(t *testing.T) {
	c := allot.DemoCatalog()
	teams, exStd := c.ServicePlan(planTeams), c.ServicePlan(planExStd)
	access := func(tenantID, skuID, pool string) bool { return pool != subBasicSS }
	tests := []struct {
		name    string
		mailbox allot.MailboxState
		lics    []allot.License
		plan    *allot.ServicePlan
		want    string
	}{
		{"in grace", allot.MailboxDisconnected, nil, exStd, allot.ReasonMailboxInGrace},
		{"held", allot.MailboxInactive, nil, exStd, allot.ReasonMailboxInactive},
		{"held in grace", allot.CheckedMailbox(allot.MailboxDisconnected, true), nil, exStd, allot.ReasonMailboxInactive},
		{"unheld in grace", allot.CheckedMailbox(allot.MailboxDisconnected, false), nil, exStd, allot.ReasonMailboxInGrace},
		{"purged", allot.MailboxPurged, nil, exStd, allot.ReasonMailboxPurged},
		{"never had one", allot.MailboxNone, nil, exStd, allot.ReasonNoLicense},
		{"plan disabled, in grace", allot.MailboxDisconnected, []allot.License{lic(skuExStd, "", planExStd)}, exStd, allot.ReasonMailboxInGrace},
		{"suspended stays suspended", allot.MailboxDisconnected, []allot.License{lic(skuBasic, subBasicSS)}, exStd, allot.ReasonSubscriptionSuspended},
		{"licensed", allot.MailboxActive, []allot.License{lic(skuExStd, "")}, exStd, allot.ReasonLicensed},
		{"not a mailbox plan", allot.MailboxPurged, nil, teams, allot.ReasonNoLicense},
	}
	for _, tt := range tests {
		e := &allot.Entitlement{TenantID: testTenant, UserID: holderID, AccountEnabled: true, Licenses: tt.lics, Mailbox: tt.mailbox, MailboxKnown: true}
		if got := allot.Check(c, e, tt.plan, access).Reason; got != tt.want {
			t.Errorf("%s: reason %q, want %q", tt.name, got, tt.want)
		}
	}
	blocked := &allot.Entitlement{TenantID: testTenant, UserID: holderID, Mailbox: allot.MailboxDisconnected}
	if got := allot.Check(c, blocked, exStd, access).Reason; got != allot.ReasonSignInBlocked {
		t.Errorf("blocked in grace: %q, want %q", got, allot.ReasonSignInBlocked)
	}
}

// TestCheckedMailbox checks the state a check names: a held mailbox in
// its grace period is named inactive, every other state as it is.
func TestCheckedMailbox(t *testing.T) {
	tests := []struct {
		name  string
		state allot.MailboxState
		held  bool
		want  allot.MailboxState
	}{
		{"held in grace", allot.MailboxDisconnected, true, allot.MailboxInactive},
		{"unheld in grace", allot.MailboxDisconnected, false, allot.MailboxDisconnected},
		{"held, licensed", allot.MailboxActive, true, allot.MailboxActive},
		{"held, purged", allot.MailboxPurged, true, allot.MailboxPurged},
		{"inactive, released", allot.MailboxInactive, false, allot.MailboxInactive},
	}
	for _, tt := range tests {
		if got := allot.CheckedMailbox(tt.state, tt.held); got != tt.want {
			t.Errorf("%s: CheckedMailbox(%q, %v) = %q, want %q", tt.name, tt.state, tt.held, got, tt.want)
		}
	}
}
