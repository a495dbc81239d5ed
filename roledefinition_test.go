package allot_test

import (
	"testing"
	"time"

	"github.com/allot-project/allot"
)

func TestFindRole(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want allot.Role
		err  *allot.Error
	}{
		{"by name", "Global Administrator", allot.RoleGlobalAdmin, nil},
		{"by name, any case and spaces", "  license checker ", allot.RoleLicenseChecker, nil},
		{"by Microsoft's template id", "4d6ac14f-3453-41d0-bef9-a3e0c569773a", allot.RoleLicenseAdmin, nil},
		{"by template id, upper case", "F2EF992C-3AFB-46B9-B7CF-A126EE74C451", allot.RoleGlobalReader, nil},
		{"License Checker by allot's id", allot.LicenseCheckerTemplateID, allot.RoleLicenseChecker, nil},
		{"unknown", "Owner", "", &allot.Error{Code: allot.ENOTFOUND, Field: "roleDefinitionId", Value: "Owner"}},
		{"empty", "", "", &allot.Error{Code: allot.ENOTFOUND, Field: "roleDefinitionId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := allot.FindRole(tt.key)
			wantError(t, err, tt.err)
			if got != tt.want {
				t.Errorf("role (-want +got):\n-%q\n+%q", tt.want, got)
			}
		})
	}
}

// TestRoleDefinitions checks that every role has a definition with a GUID
// id, in the order of Roles, and Microsoft's template ids.
func TestRoleDefinitions(t *testing.T) {
	microsoft := map[allot.Role]string{
		allot.RoleGlobalAdmin:  "62e90394-69f5-4237-9190-012177145e10",
		allot.RoleLicenseAdmin: "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
		allot.RoleUserAdmin:    "fe930be7-5e62-47db-91af-98c3a49a38b1",
		allot.RoleBillingAdmin: "b0f54661-2d74-4c50-afa3-1ec803f12efe",
		allot.RoleGlobalReader: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
	}
	if len(allot.RoleDefinitions) != len(allot.Roles) {
		t.Fatalf("%d definitions for %d roles", len(allot.RoleDefinitions), len(allot.Roles))
	}
	for i, r := range allot.Roles {
		d := r.Definition()
		if d != allot.RoleDefinitions[i] || !allot.IsGUID(d.ID) || d.Description == "" {
			t.Errorf("%s: definition %+v", r, d)
		}
		if want, ok := microsoft[r]; ok && d.ID != want {
			t.Errorf("%s: id (-want +got):\n-%s\n+%s", r, want, d.ID)
		}
	}
}

func TestRoleAssignmentID(t *testing.T) {
	tests := []struct {
		name      string
		role      allot.Role
		principal string
		want      string
	}{
		// The id of Graph's documentation example (a Global Administrator).
		{"Graph's example", allot.RoleGlobalAdmin, "4ab0b690-479b-47ff-af8f-2576cf521872", "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1"},
		{"allot's own role", allot.RoleLicenseChecker, "4ab0b690-479b-47ff-af8f-2576cf521872", "s7O8c1Z7DkWJqv7AoN01apC2sEqbR_9Hr48lds9SGHI-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allot.RoleAssignmentID(tt.role, tt.principal)
			if got != tt.want {
				t.Errorf("id (-want +got):\n-%s\n+%s", tt.want, got)
			}
			r, p, err := allot.ParseRoleAssignmentID(got)
			if err != nil || r != tt.role || p != tt.principal {
				t.Errorf("parsed back (-want +got):\n-%s %s\n+%s %s %v", tt.role, tt.principal, r, p, err)
			}
		})
	}
}

func TestParseRoleAssignmentIDRefuses(t *testing.T) {
	unknownRole := allot.RoleAssignmentID(allot.RoleGlobalAdmin, holderID)
	unknownRole = "A" + unknownRole[1:] // another role template
	for _, id := range []string{"", "-1", "abc-1", "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI", "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-2", unknownRole, holderID} {
		t.Run(id, func(t *testing.T) {
			_, _, err := allot.ParseRoleAssignmentID(id)
			wantError(t, err, &allot.Error{Code: allot.ENOTFOUND, Value: id})
		})
	}
}

func TestCheckGlobalAdminKept(t *testing.T) {
	active := func(id string) *allot.User { return &allot.User{ID: id, AccountEnabled: true} }
	blocked := &allot.User{ID: holderID}
	deleted := &allot.User{ID: holderID, AccountEnabled: true, DeletedAt: testNow}
	last := &allot.Error{Code: allot.EINVALID, UserID: adminID, Value: "Global Administrator"}
	tests := []struct {
		name    string
		holders []*allot.User
		losing  string
		want    *allot.Error
	}{
		{"the only one", []*allot.User{active(adminID)}, adminID, last},
		{"another active one", []*allot.User{active(adminID), active(holderID)}, adminID, nil},
		{"another, blocked", []*allot.User{active(adminID), blocked}, adminID, last},
		{"another, deleted", []*allot.User{active(adminID), deleted}, adminID, last},
		{"the only one, named in upper case", []*allot.User{active(adminID)}, "A0000000-0000-4000-8000-000000000001", &allot.Error{Code: allot.EINVALID, UserID: "A0000000-0000-4000-8000-000000000001", Value: "Global Administrator"}},
		{"not a holder", []*allot.User{active(adminID)}, holderID, nil},
		{"a blocked holder goes", []*allot.User{active(adminID), blocked}, holderID, nil},
		{"nobody holds it", nil, adminID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.CheckGlobalAdminKept(tt.holders, tt.losing), tt.want) })
	}
}

func TestValidateAppToken(t *testing.T) {
	long := string(make([]byte, 257))
	tests := []struct {
		name  string
		app   string
		roles []allot.Role
		want  *allot.Error
	}{
		{"a checker", "Billing portal", []allot.Role{allot.RoleLicenseChecker}, nil},
		{"two roles", "Reports", []allot.Role{allot.RoleLicenseChecker, allot.RoleGlobalReader}, nil},
		{"no name", " ", []allot.Role{allot.RoleLicenseChecker}, &allot.Error{Code: allot.EINVALID, Field: "app", Value: " "}},
		{"name too long", long, []allot.Role{allot.RoleLicenseChecker}, &allot.Error{Code: allot.EINVALID, Field: "app", Value: long}},
		{"no role", "Portal", nil, &allot.Error{Code: allot.EINVALID, Field: "roles"}},
		{"unknown role", "Portal", []allot.Role{"Owner"}, &allot.Error{Code: allot.EINVALID, Field: "role", Value: "Owner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.ValidateAppToken(tt.app, tt.roles), tt.want) })
	}
}

func TestAppTokenAuthenticates(t *testing.T) {
	live := allot.Token{ExpiresAt: testNow.Add(time.Hour)}
	app := allot.Token{AppID: holderID, ExpiresAt: testNow.Add(time.Hour)}
	revokedApp := app
	revokedApp.RevokedAt = testNow.Add(-time.Minute)
	enabled := &allot.User{ID: holderID, AccountEnabled: true}
	tests := []struct {
		name string
		t    allot.Token
		u    *allot.User
		now  time.Time
		want bool
	}{
		{"a user's live token", live, enabled, testNow, true},
		{"a blocked user", live, &allot.User{ID: holderID}, testNow, false},
		{"a purged user", live, nil, testNow, false},
		{"expired", live, enabled, testNow.Add(time.Hour), false},
		{"an application's token has no user", app, nil, testNow, true},
		{"an application's token, expired", app, nil, testNow.Add(2 * time.Hour), false},
		{"an application's token, revoked", revokedApp, nil, testNow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.Authenticates(tt.u, tt.now); got != tt.want {
				t.Errorf("Authenticates (-want +got):\n-%v\n+%v", tt.want, got)
			}
		})
	}
}
