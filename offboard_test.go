package allot_test

import (
	"testing"

	"github.com/allot-project/allot"
)

func TestAuthorizeOffboard(t *testing.T) {
	tests := []struct {
		name string
		role allot.Role
		hold bool
		want string
	}{
		{"global", allot.RoleGlobalAdmin, true, ""},
		{"user admin", allot.RoleUserAdmin, false, ""},
		{"user admin with a hold", allot.RoleUserAdmin, true, allot.EFORBIDDEN},
		{"license admin", allot.RoleLicenseAdmin, false, allot.EFORBIDDEN},
		{"reader", allot.RoleGlobalReader, false, allot.EFORBIDDEN},
	}
	for _, tt := range tests {
		err := allot.AuthorizeOffboard(principal(adminID, tt.role), allot.Offboarding{User: "u", Hold: tt.hold})
		if got := allot.ErrorCode(err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
