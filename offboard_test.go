package allot_test

import (
	"strings"
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

// TestOffboardingValidate checks the hold name an offboarding is given:
// the rule of a hold placed alone (allot.CheckHoldName), a blank name
// leaving the default, no check without a hold.
func TestOffboardingValidate(t *testing.T) {
	tests := []struct {
		name     string
		o        allot.Offboarding
		want     string // the error's field, "" for none
		wantName string // the hold name after Validate
	}{
		{"name", allot.Offboarding{Hold: true, HoldName: " Case 9 "}, "", "Case 9"},
		{"blank name gets the default", allot.Offboarding{Hold: true, HoldName: "   "}, "", ""},
		{"256 characters", allot.Offboarding{Hold: true, HoldName: strings.Repeat("é", 256)}, "", strings.Repeat("é", 256)},
		{"257 characters", allot.Offboarding{Hold: true, HoldName: strings.Repeat("é", 257)}, "name", strings.Repeat("é", 257)},
		{"invalid UTF-8", allot.Offboarding{Hold: true, HoldName: "Case \xff"}, "name", "Case \xff"},
		{"no hold, no check", allot.Offboarding{HoldName: strings.Repeat("x", 300)}, "", strings.Repeat("x", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			var got string
			if e, ok := err.(*allot.Error); ok {
				got = e.Field
			} else if err != nil {
				t.Fatalf("error %T %v, want an *allot.Error", err, err)
			}
			if got != tt.want || tt.o.HoldName != tt.wantName {
				t.Errorf("Validate() field %q, name %q; want field %q, name %q", got, tt.o.HoldName, tt.want, tt.wantName)
			}
			if tt.want != "" {
				alone := (&allot.Hold{UserID: "u", Name: tt.o.HoldName}).Validate()
				if err.Error() != alone.Error() || allot.ErrorCode(err) != allot.ErrorCode(alone) {
					t.Errorf("Validate() = %v, want the refusal of a hold placed alone: %v", err, alone)
				}
			}
		})
	}
}
