package allot

import (
	"fmt"
	"strings"
	"time"
)

// App is an application's identity in a tenant (Graph's service
// principal): it holds roles like a user and owns tokens, so that a
// program checking licenses needs no person's account.
type App struct {
	ID          string // GUID, the principalId of its role assignments
	TenantID    string
	DisplayName string // unique in the tenant, compared case-insensitively
	CreatedAt   time.Time
}

// AuditAppCreate records the creation of an application.
const AuditAppCreate = "app.create"

// ValidateAppToken returns EINVALID unless an application's token request
// names the application (1..256 characters) and at least one known role.
func ValidateAppToken(name string, roles []Role) error {
	if n := len(strings.TrimSpace(name)); n == 0 || n > 256 {
		return &Error{Code: EINVALID, Field: "app", Value: name, Message: "An application needs a name of 1 to 256 characters."}
	}
	if len(roles) == 0 {
		return &Error{Code: EINVALID, Field: "roles", Message: fmt.Sprintf("An application's token needs at least one role, e.g. %q.", RoleLicenseChecker)}
	}
	for _, r := range roles {
		if err := ValidateRole(r); err != nil {
			return err
		}
	}
	return nil
}
