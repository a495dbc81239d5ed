package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// assignmentKeys returns "role principalType principalName" per assignment.
func assignmentKeys(as []*allot.RoleAssignment) []string {
	out := []string{}
	for _, a := range as {
		if a.ID != allot.RoleAssignmentID(a.Role, a.PrincipalID) {
			out = append(out, "bad id "+a.ID)
		}
		out = append(out, fmt.Sprintf("%s %s %s", a.Role, a.PrincipalType, a.PrincipalName))
	}
	return out
}

// testRoleAssignments lists, grants and revokes roles as Graph's
// roleAssignments do: readers list, only a Global Administrator changes,
// a duplicate is a conflict, each change is audited.
func testRoleAssignments(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	reader := f.Admins[allot.RoleGlobalReader]
	all, err := f.S.FindRoleAssignments(ctx, reader, allot.RoleAssignmentFilter{})
	must(t, err)
	var want []string
	for i, r := range allot.Roles {
		want = append(want, fmt.Sprintf("%s user admin%d@contoso.example", r, i))
	}
	diff(t, "every assignment, in the order of Roles", assignmentKeys(all), want)
	for _, p := range []allot.Principal{f.Plain, f.Admins[allot.RoleLicenseChecker]} {
		_, err := f.S.FindRoleAssignments(ctx, p, allot.RoleAssignmentFilter{})
		wantCode(t, "listing as "+p.Name, err, allot.EFORBIDDEN)
	}

	u := f.User("u@contoso.example", "FR")
	a, err := f.S.CreateRoleAssignment(ctx, f.Admin(), "U@contoso.example", allot.RoleLicenseAdmin)
	must(t, err)
	diff(t, "created", *a, allot.RoleAssignment{ID: allot.RoleAssignmentID(allot.RoleLicenseAdmin, u.ID), PrincipalID: u.ID,
		PrincipalType: allot.PrincipalUser, PrincipalName: u.UserPrincipalName, Role: allot.RoleLicenseAdmin})
	_, err = f.S.CreateRoleAssignment(ctx, f.Admin(), u.ID, allot.RoleLicenseAdmin)
	wantFields(t, "a duplicate", err, &allot.Error{Code: allot.ECONFLICT, UserID: u.ID, Field: "roleDefinitionId", Value: allot.RoleLicenseAdmin.Definition().ID})
	_, err = f.S.CreateRoleAssignment(ctx, f.Admins[allot.RoleUserAdmin], u.ID, allot.RoleGlobalReader)
	wantCode(t, "a User Administrator granting", err, allot.EFORBIDDEN)
	_, err = f.S.CreateRoleAssignment(ctx, f.Admin(), "0e0e0e0e-0000-4000-8000-000000000000", allot.RoleGlobalReader)
	wantCode(t, "an unknown principal", err, allot.ENOTFOUND)
	_, err = f.S.CreateRoleAssignment(ctx, f.Admin(), u.ID, "Emperor")
	wantCode(t, "an unknown role", err, allot.EINVALID)

	mine, err := f.S.FindRoleAssignments(ctx, reader, allot.RoleAssignmentFilter{PrincipalID: u.ID})
	must(t, err)
	diff(t, "filtered by principal", assignmentKeys(mine), []string{"License Administrator user u@contoso.example"})
	byRole, err := f.S.FindRoleAssignments(ctx, reader, allot.RoleAssignmentFilter{Role: allot.RoleLicenseAdmin})
	must(t, err)
	if len(byRole) != 2 {
		t.Errorf("filtered by role: %v", assignmentKeys(byRole))
	}

	wantCode(t, "a User Administrator revoking", f.S.DeleteRoleAssignment(ctx, f.Admins[allot.RoleUserAdmin], a.ID), allot.EFORBIDDEN)
	must(t, f.S.DeleteRoleAssignment(ctx, f.Admin(), a.ID))
	wantFields(t, "revoking twice", f.S.DeleteRoleAssignment(ctx, f.Admin(), a.ID), &allot.Error{Code: allot.ENOTFOUND, Value: a.ID})
	wantFields(t, "a malformed id", f.S.DeleteRoleAssignment(ctx, f.Admin(), "nope"), &allot.Error{Code: allot.ENOTFOUND, Value: "nope"})

	events, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: u.ID})
	must(t, err)
	var actions []string
	for _, e := range events {
		if e.Action == allot.AuditRoleAssign || e.Action == allot.AuditRoleUnassign {
			actions = append(actions, e.Action+" by "+e.ActorName)
		}
	}
	diff(t, "audited, newest first", actions, []string{allot.AuditRoleUnassign + " by " + f.Admin().Name, allot.AuditRoleAssign + " by " + f.Admin().Name})

	must(t, f.S.AssignRole(ctx, f.Admin(), u.ID, allot.RoleGlobalReader))
	must(t, f.S.DeleteUser(ctx, f.Admin(), u.ID))
	mine, err = f.S.FindRoleAssignments(ctx, reader, allot.RoleAssignmentFilter{PrincipalID: u.ID})
	must(t, err)
	diff(t, "a deleted user's assignments are not listed", assignmentKeys(mine), []string{})
}

// testLastGlobalAdmin checks that nothing removes a tenant's last active
// Global Administrator: revoking, deleting or blocking it.
func testLastGlobalAdmin(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	ga, userAdmin := f.Admin(), f.Admins[allot.RoleUserAdmin]
	last := &allot.Error{Code: allot.EINVALID, UserID: ga.UserID, Value: string(allot.RoleGlobalAdmin)}
	id := allot.RoleAssignmentID(allot.RoleGlobalAdmin, ga.UserID)
	wantFields(t, "revoking by id", f.S.DeleteRoleAssignment(ctx, f.Sys, id), last)
	wantFields(t, "unassigning", f.S.UnassignRole(ctx, f.Sys, ga.UserID, allot.RoleGlobalAdmin), last)
	wantFields(t, "deleting", f.S.DeleteUser(ctx, userAdmin, ga.UserID), last)
	_, err := f.S.UpdateUser(ctx, userAdmin, ga.UserID, allot.UserUpdate{AccountEnabled: ptr(false)})
	wantFields(t, "blocking", err, last)
	_, err = f.S.UpdateUser(ctx, userAdmin, ga.UserID, allot.UserUpdate{JobTitle: ptr("Boss")})
	must(t, err) // other changes go through
	row := allot.ImportRow{Line: 2, UserPrincipalName: ga.Name, DisplayName: ga.Name, UsageLocation: "FR", AccountEnabled: false}
	res, err := f.S.ImportUsers(ctx, userAdmin, []allot.ImportRow{row}, allot.ImportOptions{})
	if err == nil && len(res) == 1 {
		err = res[0].Err
	}
	wantCode(t, "blocking by an import", err, allot.EINVALID)
	if u, _ := f.S.FindUser(ctx, f.Sys, ga.UserID); u == nil || !u.AccountEnabled {
		t.Errorf("the last Global Administrator after the import: %+v", u)
	}

	second := f.User("second@contoso.example", "FR")
	must(t, f.S.AssignRole(ctx, ga, second.ID, allot.RoleGlobalAdmin))
	_, err = f.S.UpdateUser(ctx, userAdmin, second.ID, allot.UserUpdate{AccountEnabled: ptr(false)})
	must(t, err)
	wantFields(t, "a blocked second one does not count", f.S.DeleteRoleAssignment(ctx, f.Sys, id), last)
	_, err = f.S.UpdateUser(ctx, userAdmin, second.ID, allot.UserUpdate{AccountEnabled: ptr(true)})
	must(t, err)
	secondGA := allot.Principal{TenantID: f.Tenant.ID, UserID: second.ID, Name: second.UserPrincipalName, Roles: []allot.Role{allot.RoleGlobalAdmin}}
	must(t, f.S.DeleteRoleAssignment(ctx, secondGA, id))
	roles, err := f.S.FindRoles(ctx, f.Sys, ga.UserID)
	must(t, err)
	diff(t, "the first one's roles", roles, []allot.Role(nil))
	wantFields(t, "now the second one is the last", f.S.DeleteUser(ctx, userAdmin, second.ID),
		&allot.Error{Code: allot.EINVALID, UserID: second.ID, Value: string(allot.RoleGlobalAdmin)})
}

// testLastGlobalAdminRace has two Global Administrators revoke each other
// at the same moment, round after round (and one delete the other while
// being revoked): exactly one change wins and one administrator remains.
func testLastGlobalAdminRace(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	a := allot.Principal{TenantID: f.Tenant.ID, UserID: f.Admin().UserID, Name: f.Admin().Name, Roles: []allot.Role{allot.RoleGlobalAdmin}}
	for round := 0; round < rounds; round++ {
		u := f.User(fmt.Sprintf("ga%d@contoso.example", round), "FR")
		must(t, f.S.AssignRole(ctx, f.Sys, u.ID, allot.RoleGlobalAdmin))
		b := allot.Principal{TenantID: f.Tenant.ID, UserID: u.ID, Name: u.UserPrincipalName, Roles: []allot.Role{allot.RoleGlobalAdmin, allot.RoleUserAdmin}}
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			errs[0] = f.S.DeleteRoleAssignment(ctx, a, allot.RoleAssignmentID(allot.RoleGlobalAdmin, b.UserID))
		}()
		go func() {
			defer wg.Done()
			<-start
			if round%2 == 0 {
				errs[1] = f.S.DeleteRoleAssignment(ctx, b, allot.RoleAssignmentID(allot.RoleGlobalAdmin, a.UserID))
			} else {
				errs[1] = f.S.DeleteUser(ctx, b, a.UserID)
			}
		}()
		close(start)
		wg.Wait()
		holders, err := f.S.FindRoleAssignments(ctx, f.Sys, allot.RoleAssignmentFilter{Role: allot.RoleGlobalAdmin})
		must(t, err)
		if len(holders) != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v, %v; Global Administrators %v", round, errs[0], errs[1], assignmentKeys(holders))
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, "the loser", err, allot.EINVALID)
			}
		}
		if holders[0].PrincipalID != a.UserID {
			a = b // b won: it is the administrator of the next round
			a.Roles = []allot.Role{allot.RoleGlobalAdmin}
		}
	}
}

// testAppTokens issues tokens to applications: their own identity, their
// roles listed as assignments, listed and revoked by id, audited.
func testAppTokens(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 2)
	operator := allot.SystemPrincipal(f.Tenant.ID, "operator")
	secret, tok, err := f.S.CreateAppToken(ctx, operator, " Billing portal ", []allot.Role{allot.RoleLicenseChecker}, time.Hour)
	must(t, err)
	if tok.AppID == "" || tok.UserID != "" || tok.Owner != "Billing portal" || !allot.IsGUID(tok.AppID) {
		t.Fatalf("token %+v", tok)
	}
	p, err := f.S.Authenticate(ctx, secret)
	must(t, err)
	diff(t, "the application's principal", p, allot.Principal{TenantID: f.Tenant.ID, AppID: tok.AppID, Name: "Billing portal", Roles: []allot.Role{allot.RoleLicenseChecker}})
	wantCode(t, "the application checks licenses", allot.Authorize(p, allot.ActionCheck), "")
	_, _, err = f.S.FindUsers(ctx, p, allot.UserFilter{})
	wantCode(t, "the application reads users", err, allot.EFORBIDDEN)
	_, err = f.S.FindUser(ctx, p, f.Plain.UserID)
	wantCode(t, "the application reads a user", err, allot.EFORBIDDEN)
	wantCode(t, "the application deletes a user", f.S.DeleteUser(ctx, p, f.Plain.UserID), allot.EFORBIDDEN)
	_, err = f.S.AssignLicenses(ctx, p, f.Plain.UserID, add(BusinessPremium))
	wantCode(t, "the application assigns", err, allot.EFORBIDDEN)

	// The same name (any case) is the same application; roles add up.
	f.Clock.Advance(time.Second) // listings order by creation
	_, again, err := f.S.CreateAppToken(ctx, f.Admin(), "BILLING PORTAL", []allot.Role{allot.RoleGlobalReader, allot.RoleLicenseChecker}, time.Hour)
	must(t, err)
	diff(t, "the same application", again.AppID, tok.AppID)
	apps, err := f.S.FindRoleAssignments(ctx, f.Admin(), allot.RoleAssignmentFilter{PrincipalID: tok.AppID})
	must(t, err)
	diff(t, "the application's assignments", assignmentKeys(apps), []string{"Global Reader application Billing portal", "License Checker application Billing portal"})
	must(t, f.S.DeleteRoleAssignment(ctx, f.Admin(), allot.RoleAssignmentID(allot.RoleGlobalReader, tok.AppID)))
	_, err = f.S.CreateRoleAssignment(ctx, f.Admin(), tok.AppID, allot.RoleLicenseChecker)
	wantCode(t, "granting an application a role it holds", err, allot.ECONFLICT)

	for _, bad := range []struct {
		name  string
		p     allot.Principal
		app   string
		roles []allot.Role
		ttl   time.Duration
		want  string
	}{
		{"a License Administrator", f.Admins[allot.RoleLicenseAdmin], "x", []allot.Role{allot.RoleLicenseChecker}, time.Hour, allot.EFORBIDDEN},
		{"the application itself", p, "x", []allot.Role{allot.RoleLicenseChecker}, time.Hour, allot.EFORBIDDEN},
		{"no role", f.Admin(), "x", nil, time.Hour, allot.EINVALID},
		{"no name", f.Admin(), "", []allot.Role{allot.RoleLicenseChecker}, time.Hour, allot.EINVALID},
		{"no lifetime", f.Admin(), "x", []allot.Role{allot.RoleLicenseChecker}, 0, allot.EINVALID},
	} {
		_, _, err := f.S.CreateAppToken(ctx, bad.p, bad.app, bad.roles, bad.ttl)
		wantCode(t, bad.name, err, bad.want)
	}

	f.Clock.Advance(time.Second)
	userSecret, userTok, err := f.S.CreateToken(ctx, f.Tenant.ID, f.Plain.Name, time.Hour)
	must(t, err)
	tokens, err := f.S.FindTokens(ctx, f.Admin())
	must(t, err)
	var owners []string
	for _, t := range tokens {
		owners = append(owners, t.ID+" "+t.Owner+" "+t.UserID+t.AppID)
	}
	diff(t, "tokens listed, oldest first", owners, []string{tok.ID + " Billing portal " + tok.AppID, again.ID + " Billing portal " + tok.AppID,
		userTok.ID + " " + f.Plain.Name + " " + f.Plain.UserID})
	_, err = f.S.FindTokens(ctx, f.Admins[allot.RoleGlobalReader])
	wantCode(t, "a Global Reader listing tokens", err, allot.EFORBIDDEN)

	wantCode(t, "revoking as a reader", f.S.RevokeTenantToken(ctx, f.Admins[allot.RoleGlobalReader], tok.ID), allot.EFORBIDDEN)
	must(t, f.S.RevokeTenantToken(ctx, f.Admin(), tok.ID))
	_, err = f.S.Authenticate(ctx, secret)
	wantCode(t, "a revoked application token", err, allot.EUNAUTHORIZED)
	wantCode(t, "revoking twice", f.S.RevokeTenantToken(ctx, f.Admin(), tok.ID), allot.ENOTFOUND)
	must(t, f.S.RevokeToken(ctx, userTok.ID)) // the operator, by id
	_, err = f.S.Authenticate(ctx, userSecret)
	wantCode(t, "a user token revoked by id", err, allot.EUNAUTHORIZED)
	tokens, err = f.S.FindTokens(ctx, operator)
	must(t, err)
	if len(tokens) != 3 || tokens[0].RevokedAt.IsZero() || !tokens[1].RevokedAt.IsZero() || tokens[2].RevokedAt.IsZero() {
		t.Errorf("revocations listed: %+v %+v %+v", tokens[0], tokens[1], tokens[2])
	}

	other := NewFixture(t, open, 2)
	wantCode(t, "revoking another tenant's token", other.S.RevokeTenantToken(ctx, other.Admin(), again.ID), allot.ENOTFOUND)

	events, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{Limit: 1000})
	must(t, err)
	counts := map[string]int{}
	for _, e := range events {
		if e.TargetID == tok.AppID || e.TargetType == "token" {
			counts[e.Action+" "+e.ActorName]++
		}
	}
	diff(t, "audited", counts, map[string]int{
		allot.AuditAppCreate + " operator": 1, allot.AuditRoleAssign + " operator": 1, allot.AuditTokenCreate + " operator": 2,
		allot.AuditRoleAssign + " " + f.Admin().Name: 1, allot.AuditTokenCreate + " " + f.Admin().Name: 1,
		allot.AuditRoleUnassign + " " + f.Admin().Name: 1, allot.AuditTokenRevoke + " " + f.Admin().Name: 1, allot.AuditTokenRevoke + " operator": 1,
	})

	// An application acting with its own token is audited as itself.
	gaSecret, gaTok, err := f.S.CreateAppToken(ctx, operator, "Provisioner", []allot.Role{allot.RoleGlobalAdmin}, time.Hour)
	must(t, err)
	gaApp, err := f.S.Authenticate(ctx, gaSecret)
	must(t, err)
	_, made, err := f.S.CreateAppToken(ctx, gaApp, "Made by an app", []allot.Role{allot.RoleLicenseChecker}, time.Hour)
	must(t, err)
	byApp, err := f.S.FindAuditEvents(ctx, f.Admin(), allot.AuditFilter{UserID: made.AppID})
	must(t, err)
	if len(byApp) == 0 || byApp[0].ActorID != gaTok.AppID || !byApp[0].ActorApp || byApp[0].ActorName != "Provisioner" {
		t.Errorf("an application's change audited as %+v", byApp)
	}
}
