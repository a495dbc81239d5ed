package allot_test

import (
	"reflect"
	"testing"

	"github.com/allot-project/allot"
)

func TestAuditScope(t *testing.T) {
	licenseEvents := []string{allot.AuditLicenseAdd, allot.AuditLicenseRemove, allot.AuditLicenseUpdate}
	tests := []struct {
		name     string
		p        allot.Principal
		category string
		want     []string // nil: every action
		code     string
	}{
		{"Global Administrator", principal("u1", allot.RoleGlobalAdmin), "", nil, ""},
		{"Global Reader", principal("u1", allot.RoleGlobalReader), "", nil, ""},
		{"system", allot.SystemPrincipal("t", "test"), "", nil, ""},
		{"License Administrator", principal("u1", allot.RoleLicenseAdmin), "", licenseEvents, ""},
		{"License and Global Administrator", principal("u1", allot.RoleLicenseAdmin, allot.RoleGlobalAdmin), "", nil, ""},
		{"License Administrator, users category", principal("u1", allot.RoleLicenseAdmin), allot.AuditCategoryUsers, licenseEvents, ""},
		{"License Administrator, roles category", principal("u1", allot.RoleLicenseAdmin), allot.AuditCategoryRoles, []string{}, ""},
		{"Global Reader, roles category", principal("u1", allot.RoleGlobalReader), allot.AuditCategoryRoles, []string{allot.AuditRoleAssign, allot.AuditRoleUnassign}, ""},
		{"unknown category", principal("u1", allot.RoleGlobalAdmin), "Nope", []string{}, ""},
		{"User Administrator", principal("u1", allot.RoleUserAdmin), "", nil, allot.EFORBIDDEN},
		{"Billing Administrator", principal("u1", allot.RoleBillingAdmin), "", nil, allot.EFORBIDDEN},
		{"License Checker", principal("u1", allot.RoleLicenseChecker), "", nil, allot.EFORBIDDEN},
		{"plain user", principal("u1"), "", nil, allot.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := allot.AuditScope(tt.p, allot.AuditFilter{Category: tt.category})
			if code := allot.ErrorCode(err); code != tt.code || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AuditScope (-want +got):\n- %q %q\n+ %q %q", tt.want, tt.code, got, code)
			}
		})
	}
}

func TestActivity(t *testing.T) {
	tests := []struct {
		action string
		want   allot.AuditActivity
	}{
		{allot.AuditLicenseAdd, allot.AuditActivity{Category: "UserManagement", DisplayName: "Change user license", OperationType: "Assign"}},
		{allot.AuditUserPurge, allot.AuditActivity{Category: "UserManagement", DisplayName: "Hard delete user", OperationType: "Delete"}},
		{allot.AuditRoleUnassign, allot.AuditActivity{Category: "RoleManagement", DisplayName: "Remove member from role", OperationType: "Unassign"}},
		{"future.thing", allot.AuditActivity{Category: "Other", DisplayName: "future.thing", OperationType: "Update"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			if got := allot.Activity(tt.action); got != tt.want {
				t.Errorf("Activity(%q) (-want +got):\n- %+v\n+ %+v", tt.action, tt.want, got)
			}
		})
	}
}
