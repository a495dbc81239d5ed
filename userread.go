package allot

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// UserReadService reads one user the cheap way, for the API's GETs of a
// user (/users/{id}, /me) and of its licenseDetails, which are the most
// frequent reads after the license check. Both methods authorize exactly
// as UserService.FindUser does: AuthorizeNamed, before anything is read
// (a user may read its own, readers anyone's). Both return ENOTFOUND
// (UserNotFound) when no such user is active in the principal's tenant.
type UserReadService interface {
	// ReadUser returns the active user with the id or userPrincipalName,
	// with its licenses only when withLicenses (else Licenses is nil).
	ReadUser(ctx context.Context, p Principal, idOrUPN string, withLicenses bool) (*User, error)
	// FindUserLicenses returns the active user with the id or
	// userPrincipalName with only ID, TenantID and Licenses set, the
	// licenses sorted by SKUID (SortLicenses), each with its SKUID and
	// DisabledPlans (AssignedAt and SubscriptionID may be left zero).
	FindUserLicenses(ctx context.Context, p Principal, idOrUPN string) (*User, error)
}

// UserNotFound is the ENOTFOUND of a user named by id or
// userPrincipalName, with Graph's message, as every store answers it.
func UserNotFound(idOrUPN string) error {
	return &Error{Code: ENOTFOUND, UserID: idOrUPN,
		Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", idOrUPN)}
}

// SortLicenses sorts licenses by SKUID, the order licenseDetails are
// listed in whichever store answers (a user holds a SKU at most once).
func SortLicenses(ls []License) {
	slices.SortFunc(ls, func(a, b License) int { return strings.Compare(a.SKUID, b.SKUID) })
}
