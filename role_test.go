package allot_test

import (
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// TestRoleTable checks every role against every action.
func TestRoleTable(t *testing.T) {
	actions := []allot.Action{allot.ActionRead, allot.ActionAssignLicenses, allot.ActionManageUsers,
		allot.ActionManageSubscriptions, allot.ActionManageRoles, allot.ActionCheck}
	tests := []struct {
		name string
		p    allot.Principal
		want []allot.Action // the actions allowed
	}{
		{"Global Administrator", principal(adminID, allot.RoleGlobalAdmin), actions},
		{"License Administrator", principal(adminID, allot.RoleLicenseAdmin), []allot.Action{allot.ActionRead, allot.ActionAssignLicenses, allot.ActionCheck}},
		{"User Administrator", principal(adminID, allot.RoleUserAdmin), []allot.Action{allot.ActionRead, allot.ActionAssignLicenses, allot.ActionManageUsers, allot.ActionCheck}},
		{"Billing Administrator", principal(adminID, allot.RoleBillingAdmin), []allot.Action{allot.ActionRead, allot.ActionManageSubscriptions, allot.ActionCheck}},
		{"Global Reader", principal(adminID, allot.RoleGlobalReader), []allot.Action{allot.ActionRead, allot.ActionCheck}},
		{"License Checker", principal(adminID, allot.RoleLicenseChecker), []allot.Action{allot.ActionCheck}},
		{"ordinary user", principal(freshUserID), nil},
		{"two roles add up", principal(adminID, allot.RoleBillingAdmin, allot.RoleLicenseAdmin),
			[]allot.Action{allot.ActionRead, allot.ActionAssignLicenses, allot.ActionManageSubscriptions, allot.ActionCheck}},
		{"system", allot.SystemPrincipal(testTenant, "test"), actions},
		{"a License Checker application", app("Portal", allot.RoleLicenseChecker), []allot.Action{allot.ActionCheck}},
		{"unknown role", principal(adminID, "Owner"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []allot.Action
			for _, a := range actions {
				err := allot.Authorize(tt.p, a)
				if (err == nil) != tt.p.Can(a) {
					t.Errorf("%s: Authorize says %v, Can says %v", a, err, tt.p.Can(a))
				}
				if err == nil {
					got = append(got, a)
				} else if allot.ErrorCode(err) != allot.EFORBIDDEN {
					t.Errorf("%s: error %v, want %s", a, err, allot.EFORBIDDEN)
				}
			}
			if strings.Join(actionNames(got), ", ") != strings.Join(actionNames(tt.want), ", ") {
				t.Errorf("allowed actions (-want +got):\n-%v\n+%v", tt.want, got)
			}
		})
	}
}

func actionNames(as []allot.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func TestAuthorizeNamed(t *testing.T) {
	self := principal(freshUserID)
	tests := []struct {
		name string
		p    allot.Principal
		key  string
		want *allot.Error
	}{
		{"itself by id", self, freshUserID, nil},
		{"itself by id, upper case and spaces", self, " " + strings.ToUpper(freshUserID) + " ", nil},
		{"itself by UPN, another case", self, strings.ToUpper(self.Name), nil},
		{"another user", self, holderID, &allot.Error{Code: allot.EFORBIDDEN}},
		{"another user by UPN", self, "someone@contoso.example", &allot.Error{Code: allot.EFORBIDDEN}},
		{"empty", self, "", &allot.Error{Code: allot.EFORBIDDEN}},
		{"no identity names nobody", allot.Principal{TenantID: testTenant}, "", &allot.Error{Code: allot.EFORBIDDEN}},
		{"a reader names anyone", principal(adminID, allot.RoleGlobalReader), holderID, nil},
		{"a License Checker is no reader", principal(adminID, allot.RoleLicenseChecker), holderID, &allot.Error{Code: allot.EFORBIDDEN}},
		{"the system", allot.SystemPrincipal(testTenant, "test"), holderID, nil},
		{"an application named like a user is not that user", app("someone@contoso.example", allot.RoleLicenseChecker), "someone@contoso.example", &allot.Error{Code: allot.EFORBIDDEN}},
		{"an application by its own id is no user", app("Portal", allot.RoleLicenseChecker), holderID, &allot.Error{Code: allot.EFORBIDDEN}},
		{"a reader application names anyone", app("Reports", allot.RoleGlobalReader), holderID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.AuthorizeNamed(tt.p, tt.key), tt.want) })
	}
}

func TestAuthorizeUserUpdate(t *testing.T) {
	loc, name, enabled := "DE", "New name", false
	onlyLocation := allot.UserUpdate{UsageLocation: &loc}
	more := allot.UserUpdate{UsageLocation: &loc, DisplayName: &name}
	block := allot.UserUpdate{AccountEnabled: &enabled}
	forbidden := &allot.Error{Code: allot.EFORBIDDEN}
	tests := []struct {
		name string
		role allot.Role
		upd  allot.UserUpdate
		want *allot.Error
	}{
		{"User Administrator, anything", allot.RoleUserAdmin, more, nil},
		{"Global Administrator, blocking", allot.RoleGlobalAdmin, block, nil},
		{"License Administrator, usage location only", allot.RoleLicenseAdmin, onlyLocation, nil},
		{"License Administrator, more", allot.RoleLicenseAdmin, more, forbidden},
		{"License Administrator, blocking", allot.RoleLicenseAdmin, block, forbidden},
		{"Billing Administrator, usage location", allot.RoleBillingAdmin, onlyLocation, forbidden},
		{"Global Reader, usage location", allot.RoleGlobalReader, onlyLocation, forbidden},
		{"no role", "", onlyLocation, forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := principal(adminID)
			if tt.role != "" {
				p.Roles = []allot.Role{tt.role}
			}
			wantError(t, allot.AuthorizeUserUpdate(p, tt.upd), tt.want)
		})
	}
}

func TestValidateRole(t *testing.T) {
	for _, r := range allot.Roles {
		wantError(t, allot.ValidateRole(r), nil)
	}
	wantError(t, allot.ValidateRole("Owner"), &allot.Error{Code: allot.EINVALID, Field: "role", Value: "Owner"})
}

// app returns an application of the test tenant holding roles; its id is
// holderID, so that a test can show an application is never a user.
func app(name string, roles ...allot.Role) allot.Principal {
	return allot.Principal{TenantID: testTenant, AppID: holderID, Name: name, Roles: roles, Via: allot.ChannelAPI}
}
