package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func testRoles(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	u := f.User("u@contoso.example", "FR")
	wantCode(t, "user admin granting roles", f.S.AssignRole(ctx, f.Admins[allot.RoleUserAdmin], u.ID, allot.RoleGlobalAdmin), allot.EFORBIDDEN)
	wantCode(t, "unknown role", f.S.AssignRole(ctx, f.Admin(), u.ID, "Emperor"), allot.EINVALID)
	wantCode(t, "unknown user", f.S.AssignRole(ctx, f.Admin(), "nobody@contoso.example", allot.RoleGlobalReader), allot.ENOTFOUND)
	must(t, f.S.AssignRole(ctx, f.Admin(), u.ID, allot.RoleBillingAdmin))
	must(t, f.S.AssignRole(ctx, f.Admin(), u.ID, allot.RoleBillingAdmin)) // idempotent
	must(t, f.S.AssignRole(ctx, f.Admin(), u.ID, allot.RoleGlobalReader))
	roles, err := f.S.FindRoles(ctx, allot.Principal{TenantID: f.Tenant.ID, UserID: u.ID}, u.ID)
	must(t, err)
	diff(t, "own roles", roles, []allot.Role{allot.RoleBillingAdmin, allot.RoleGlobalReader})
	_, err = f.S.FindRoles(ctx, f.Plain, u.ID)
	wantCode(t, "plain user reading another's roles", err, allot.EFORBIDDEN)
	must(t, f.S.UnassignRole(ctx, f.Admin(), u.ID, allot.RoleBillingAdmin))
	roles, err = f.S.FindRoles(ctx, f.Sys, u.ID)
	must(t, err)
	diff(t, "after unassign", roles, []allot.Role{allot.RoleGlobalReader})

	// What each role may do, as the domain enforces it.
	type can struct{ read, assign, users, subs bool }
	want := map[allot.Role]can{
		allot.RoleGlobalAdmin:  {true, true, true, true},
		allot.RoleLicenseAdmin: {true, true, false, false},
		allot.RoleUserAdmin:    {true, true, true, false},
		allot.RoleBillingAdmin: {true, false, false, true},
		allot.RoleGlobalReader: {true, false, false, false},
		"":                     {false, false, false, false},
	}
	for r, w := range want {
		p := f.Plain
		if r != "" {
			p = f.Admins[r]
		}
		target := f.User("t"+p.UserID[:8]+"@contoso.example", "FR")
		_, _, err := f.S.FindUsers(ctx, p, allot.UserFilter{})
		got := can{read: err == nil}
		_, err = f.S.AssignLicenses(ctx, p, target.ID, add(BusinessPremium))
		got.assign = err == nil
		_, err = f.S.UpdateUser(ctx, p, target.ID, allot.UserUpdate{JobTitle: ptr("Engineer")})
		got.users = err == nil
		err = f.S.CreateSubscription(ctx, p, &allot.Subscription{SKUID: BusinessPremium, Quantity: 1})
		got.subs = err == nil
		diff(t, "permissions of "+string(r), got, w)
	}
	f.CheckCounters()
}

func testTenantIsolation(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	a := f.Admin()
	victim := f.User("victim@contoso.example", "FR")
	f.Assign(victim.ID, O365E3)
	subsA, err := f.S.FindSubscriptions(ctx, a)
	must(t, err)

	f.AddTenant("fabrikam.example", 2)
	b := f.Admin()
	_, err = f.S.FindUser(ctx, b, victim.ID)
	wantCode(t, "find by id across tenants", err, allot.ENOTFOUND)
	_, err = f.S.FindUser(ctx, b, "victim@contoso.example")
	wantCode(t, "find by UPN across tenants", err, allot.ENOTFOUND)
	_, err = f.S.AssignLicenses(ctx, b, victim.ID, remove(O365E3))
	wantCode(t, "unassign across tenants", err, allot.ENOTFOUND)
	_, err = f.S.UpdateUser(ctx, b, victim.ID, allot.UserUpdate{DisplayName: ptr("pwned")})
	wantCode(t, "update across tenants", err, allot.ENOTFOUND)
	wantCode(t, "delete across tenants", f.S.DeleteUser(ctx, b, victim.ID), allot.ENOTFOUND)
	_, err = f.S.FindSubscriptionByID(ctx, b, subsA[0].ID)
	wantCode(t, "subscription across tenants", err, allot.ENOTFOUND)
	_, err = f.S.UpdateSubscription(ctx, b, subsA[0].ID, allot.SubscriptionUpdate{Quantity: ptr(0)})
	wantCode(t, "subscription update across tenants", err, allot.ENOTFOUND)
	wantCode(t, "role across tenants", f.S.AssignRole(ctx, b, victim.ID, allot.RoleGlobalAdmin), allot.ENOTFOUND)
	users, _, err := f.S.FindUsers(ctx, b, allot.UserFilter{SKUID: O365E3, Limit: 1000})
	must(t, err)
	diff(t, "B's E3 holders", len(users), 0)
	all, _, err := f.S.FindUsers(ctx, b, allot.UserFilter{Limit: 1000})
	must(t, err)
	for _, u := range all {
		if u.TenantID != b.TenantID {
			t.Fatalf("tenant B lists a user of tenant %s", u.TenantID)
		}
	}
	ev, err := f.S.FindAuditEvents(ctx, b, allot.AuditFilter{UserID: victim.ID})
	must(t, err)
	diff(t, "B reads A's audit", len(ev), 0)
	diff(t, "B's E3 consumed", f.SKU(O365E3).Consumed, 0)
	// A is untouched.
	got, err := f.S.FindUser(ctx, a, victim.ID)
	must(t, err)
	diff(t, "victim intact", []any{got.DisplayName, skuIDs(got.Licenses)}, []any{"victim@contoso.example", []string{O365E3}})
}

func testAudit(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	u := f.User("u@contoso.example", "FR")
	la := f.Admins[allot.RoleLicenseAdmin]
	la.Via = allot.ChannelCLI
	_, err := f.S.AssignLicenses(ctx, la, u.ID, add(O365E3))
	must(t, err)
	f.Clock.Advance(time.Minute)
	_, err = f.S.AssignLicenses(ctx, la, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: O365E3, DisabledPlans: []string{PlanTeams}}}})
	must(t, err)
	_, err = f.S.AssignLicenses(ctx, la, u.ID, remove(O365E3))
	must(t, err)
	_, err = f.S.AssignLicenses(ctx, la, u.ID, remove(O365E3))
	wantCode(t, "refused", err, allot.ELICENSENOTHELD)

	ev, err := f.S.FindAuditEvents(ctx, f.Admins[allot.RoleGlobalReader], allot.AuditFilter{UserID: u.ID})
	must(t, err)
	var actions []string
	for _, e := range ev {
		actions = append(actions, e.Action)
	}
	diff(t, "events for the user, newest first", actions, []string{allot.AuditLicenseRemove, allot.AuditLicenseUpdate, allot.AuditLicenseAdd, allot.AuditUserCreate})
	upd := ev[1]
	diff(t, "who, how, what", []any{upd.ActorID, upd.ActorName, upd.Via, upd.TargetID, upd.SKUID}, []any{la.UserID, la.Name, allot.ChannelCLI, u.ID, O365E3})
	diff(t, "when", upd.At, f.Clock.Now())
	var before, after struct{ DisabledPlans []string }
	must(t, json.Unmarshal(upd.Before, &before))
	must(t, json.Unmarshal(upd.After, &after))
	diff(t, "before/after", [][]string{before.DisabledPlans, after.DisabledPlans}, [][]string{{}, {PlanTeams}})

	bySKU, err := f.S.FindAuditEvents(ctx, f.Sys, allot.AuditFilter{SKUID: O365E3})
	must(t, err)
	var subs int
	for _, e := range bySKU {
		if e.SKUID != O365E3 {
			t.Errorf("SKU filter returned an event for %q", e.SKUID)
		}
		if e.Action == allot.AuditSubscriptionCreate {
			subs++
		}
	}
	diff(t, "per-SKU events", len(bySKU), 4)
	diff(t, "subscription purchase recorded", subs, 1)
	page, err := f.S.FindAuditEvents(ctx, f.Sys, allot.AuditFilter{UserID: u.ID, BeforeID: ev[1].ID, Limit: 1})
	must(t, err)
	diff(t, "keyset page", page[0].ID, ev[2].ID)
	_, err = f.S.FindAuditEvents(ctx, f.Plain, allot.AuditFilter{})
	wantCode(t, "plain user reading audit", err, allot.EFORBIDDEN)
}

func testTokens(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	admin := f.Admin()
	secret, tok, err := f.S.CreateToken(ctx, f.Tenant.ID, admin.Name, time.Hour)
	must(t, err)
	p, err := f.S.Authenticate(ctx, secret)
	must(t, err)
	diff(t, "principal", []any{p.TenantID, p.UserID, p.Roles}, []any{f.Tenant.ID, admin.UserID, []allot.Role{allot.RoleGlobalAdmin}})

	alt := "A"
	if strings.HasSuffix(secret, "A") {
		alt = "B"
	}
	for _, bad := range []string{"", "allot_", secret + "x", secret[:len(secret)-1] + alt, "Bearer " + secret} {
		_, err := f.S.Authenticate(ctx, bad)
		wantCode(t, "bad token "+bad, err, allot.EUNAUTHORIZED)
	}
	_, _, err = f.S.CreateToken(ctx, f.Tenant.ID, "nobody@contoso.example", time.Hour)
	wantCode(t, "token for unknown user", err, allot.ENOTFOUND)
	_, _, err = f.S.CreateToken(ctx, f.Tenant.ID, admin.Name, 0)
	wantCode(t, "token without lifetime", err, allot.EINVALID)

	f.Clock.Advance(time.Hour)
	_, err = f.S.Authenticate(ctx, secret)
	wantCode(t, "expired", err, allot.EUNAUTHORIZED)

	secret2, _, err := f.S.CreateToken(ctx, f.Tenant.ID, admin.UserID, time.Hour)
	must(t, err)
	must(t, f.S.RevokeToken(ctx, secret2))
	_, err = f.S.Authenticate(ctx, secret2)
	wantCode(t, "revoked by secret", err, allot.EUNAUTHORIZED)
	wantCode(t, "revoke twice", f.S.RevokeToken(ctx, secret2), allot.ENOTFOUND)
	wantCode(t, "revoke expired by id", f.S.RevokeToken(ctx, tok.ID), "")

	plain, _, err := f.S.CreateToken(ctx, f.Tenant.ID, f.Plain.UserID, time.Hour)
	must(t, err)
	_, err = f.S.UpdateUser(ctx, f.Sys, f.Plain.UserID, allot.UserUpdate{AccountEnabled: ptr(false)})
	must(t, err)
	_, err = f.S.Authenticate(ctx, plain)
	wantCode(t, "blocked user's token", err, allot.EUNAUTHORIZED)

	leaver := f.User("leaver@contoso.example", "FR")
	gone, _, err := f.S.CreateToken(ctx, f.Tenant.ID, leaver.ID, time.Hour)
	must(t, err)
	_, err = f.S.Authenticate(ctx, gone)
	wantCode(t, "active user's token", err, "")
	must(t, f.S.DeleteUser(ctx, f.Sys, leaver.ID))
	_, err = f.S.Authenticate(ctx, gone)
	wantCode(t, "deleted user's token", err, allot.EUNAUTHORIZED)
}
