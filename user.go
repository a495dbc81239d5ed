package allot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is a person of a tenant who can hold licenses.
type User struct {
	ID                string // GUID
	TenantID          string
	UserPrincipalName string // unique per tenant among users not deleted, compared case-insensitively
	DisplayName       string
	GivenName         string
	Surname           string
	JobTitle          string
	UsageLocation     string // ISO 3166-1 alpha-2, "" if unset; needed before any license is assigned
	AccountEnabled    bool   // false when sign-in is blocked
	CreatedAt         time.Time
	DeletedAt         time.Time // zero unless the user is deleted (restorable until DeletedAt+DeletedRetention)
	Licenses          []License // filled by operations that say so
}

// UserProfile is what a read of a user shows beside its entitlement: the
// fields of User an Entitlement lacks, which a cache keeps to answer
// reads (GET /users/{id}) without the store.
type UserProfile struct {
	DisplayName, GivenName, Surname, JobTitle string
	CreatedAt                                 time.Time
}

// ProfileOf returns u's profile, its creation time as the store keeps it
// (to the microsecond, in UTC).
func ProfileOf(u *User) *UserProfile {
	p := &UserProfile{DisplayName: u.DisplayName, GivenName: u.GivenName, Surname: u.Surname, JobTitle: u.JobTitle}
	if !u.CreatedAt.IsZero() {
		p.CreatedAt = time.UnixMicro(u.CreatedAt.UnixMicro()).UTC()
	}
	return p
}

// Deleted reports whether the user is in the deleted users.
func (u *User) Deleted() bool { return !u.DeletedAt.IsZero() }

// License returns the user's license of the SKU, or nil.
func (u *User) License(skuID string) *License {
	if i := licenseIndex(u.Licenses, skuID); i >= 0 {
		return &u.Licenses[i]
	}
	return nil
}

// Validate normalises the user's fields and returns EINVALID if one is bad,
// with Field naming it.
func (u *User) Validate() error {
	u.UserPrincipalName = strings.TrimSpace(u.UserPrincipalName)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	u.UsageLocation = strings.ToUpper(strings.TrimSpace(u.UsageLocation))
	if err := ValidateUPN(u.UserPrincipalName); err != nil {
		return err
	}
	if u.DisplayName == "" || utf8.RuneCountInString(u.DisplayName) > 256 {
		return &Error{Code: EINVALID, Field: "displayName", Value: u.DisplayName,
			Message: "Invalid value specified for property 'displayName' of resource 'User': it must have 1 to 256 characters."}
	}
	for _, f := range []struct{ name, value string }{{"givenName", u.GivenName}, {"surname", u.Surname}, {"jobTitle", u.JobTitle}} {
		if utf8.RuneCountInString(f.value) > 128 {
			return &Error{Code: EINVALID, Field: f.name, Message: "givenName, surname and jobTitle have at most 128 characters."}
		}
	}
	if f := u.badField(); f != "" {
		return &Error{Code: EINVALID, Field: f, Message: "User properties cannot contain control characters or invalid UTF-8."}
	}
	if u.UsageLocation != "" && !ValidCountry(u.UsageLocation) {
		return &Error{Code: EINVALID, Field: "usageLocation", Value: u.UsageLocation,
			Message: fmt.Sprintf("Invalid value specified for property 'usageLocation' of resource 'User': %q is not an ISO 3166-1 alpha-2 country code.", u.UsageLocation)}
	}
	return nil
}

// badField names the first text property holding control characters or
// invalid UTF-8, or returns "".
func (u *User) badField() string {
	for _, f := range []struct{ name, value string }{{"userPrincipalName", u.UserPrincipalName}, {"displayName", u.DisplayName},
		{"givenName", u.GivenName}, {"surname", u.Surname}, {"jobTitle", u.JobTitle}} {
		if strings.IndexFunc(f.value, unicode.IsControl) >= 0 || !utf8.ValidString(f.value) {
			return f.name
		}
	}
	return ""
}

// ValidateUPN returns EINVALID unless upn looks like name@domain.
func ValidateUPN(upn string) error {
	at := strings.LastIndexByte(upn, '@')
	if at <= 0 || at == len(upn)-1 || len(upn) > 113 || strings.ContainsAny(upn, " \t\r\n\"<>,;:\\()[]") ||
		!strings.Contains(upn[at+1:], ".") || strings.Count(upn, "@") != 1 {
		return &Error{Code: EINVALID, Field: "userPrincipalName", Value: upn,
			Message: fmt.Sprintf("Invalid value specified for property 'userPrincipalName' of resource 'User': %q is not of the form name@domain.", upn)}
	}
	return nil
}

// CheckDelete returns EINVALID when p may not delete u: nobody deletes
// their own account.
func CheckDelete(p Principal, u *User) error {
	if p.UserID != "" && u.ID == p.UserID {
		return &Error{Code: EINVALID, Message: "You cannot delete your own account.", UserID: u.ID}
	}
	return nil
}

// CheckUsageLocationKept returns EUSAGELOCATION when upd, applied to u,
// cleared the usage location of a user holding licenses (u.Licenses filled).
func CheckUsageLocationKept(u *User, upd UserUpdate) error {
	if u.UsageLocation == "" && upd.UsageLocation != nil && len(u.Licenses) > 0 {
		return &Error{Code: EUSAGELOCATION, UserID: u.ID, Field: "usageLocation", Count: len(u.Licenses),
			Message: "The usage location of a user holding licenses cannot be cleared."}
	}
	return nil
}

// CheckRestore returns ECONFLICT when a deleted user cannot come back
// because upnTaken: an active user now has its userPrincipalName. A restore
// also takes a seat again for every license, or refuses whole
// (RestoreSeatsError).
func CheckRestore(u *User, upnTaken bool) error {
	if upnTaken {
		return &Error{Code: ECONFLICT, UserID: u.ID, Field: "userPrincipalName", Value: u.UserPrincipalName,
			Message: fmt.Sprintf("Cannot restore %s: another user now has the userPrincipalName %s.", u.ID, u.UserPrincipalName)}
	}
	return nil
}

// RestoreSeatsError is the ECOUNTVIOLATION of a restore of u refused
// because its license of skuID has no free seat.
func RestoreSeatsError(c *Catalog, u *User, skuID string) *Error {
	name := skuID
	if sku := c.SKU(skuID); sku != nil {
		name = sku.DisplayName.EN
	}
	return &Error{Code: ECOUNTVIOLATION, UserID: u.ID, SKUID: skuID, Count: 1,
		Message: fmt.Sprintf("Cannot restore %s: no license of %s is available. Free or buy a license, or remove it from the user, then restore again.", u.UserPrincipalName, name)}
}

// UserUpdate holds the fields an administrator may change; nil fields stay.
type UserUpdate struct {
	DisplayName    *string
	GivenName      *string
	Surname        *string
	JobTitle       *string
	UsageLocation  *string // "" clears it
	AccountEnabled *bool
}

// Apply copies the set fields onto u and validates the result.
func (upd UserUpdate) Apply(u *User) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.DisplayName, upd.DisplayName)
	set(&u.GivenName, upd.GivenName)
	set(&u.Surname, upd.Surname)
	set(&u.JobTitle, upd.JobTitle)
	set(&u.UsageLocation, upd.UsageLocation)
	if upd.AccountEnabled != nil {
		u.AccountEnabled = *upd.AccountEnabled
	}
	return u.Validate()
}

// OnlyUsageLocation reports whether the update changes nothing but the usage
// location, which License Administrators may also do.
func (upd UserUpdate) OnlyUsageLocation() bool {
	return upd.UsageLocation != nil && upd.DisplayName == nil && upd.GivenName == nil &&
		upd.Surname == nil && upd.JobTitle == nil && upd.AccountEnabled == nil
}

// UserOrder is the order a listing returns users in.
type UserOrder string

// The orders of a user listing: by id (the API's), by display name or by
// userPrincipalName, ascending or descending; ties are broken by id in the
// same direction.
const (
	UserOrderID       UserOrder = ""
	UserOrderName     UserOrder = "name"
	UserOrderNameDesc UserOrder = "-name"
	UserOrderUPN      UserOrder = "upn"
	UserOrderUPNDesc  UserOrder = "-upn"
)

// Desc reports whether the order is descending.
func (o UserOrder) Desc() bool { return strings.HasPrefix(string(o), "-") }

// Key returns u's sort key in order o, the AfterKey of a page ending at
// u: the display name or userPrincipalName in lower case, "" by id.
func (o UserOrder) Key(u *User) string {
	switch o {
	case UserOrderName, UserOrderNameDesc:
		return strings.ToLower(u.DisplayName)
	case UserOrderUPN, UserOrderUPNDesc:
		return strings.ToLower(u.UserPrincipalName)
	}
	return ""
}

// UserFilter selects users. Zero fields select everything; the result is
// ordered by id (or by Order) and paged by keyset: pass the last id seen
// as After (and, with an Order, its sort key as AfterKey).
type UserFilter struct {
	ID           string
	UPN          string // exact, case-insensitive
	SKUID        string // users holding this SKU
	Unlicensed   bool   // users holding no SKU
	Licensed     bool   // users holding at least one SKU
	Enabled      *bool  // accountEnabled
	NamePrefix   string // displayName starts with, case-insensitive
	Deleted      bool   // list deleted users instead of active ones
	After        string // keyset cursor: ids greater than this
	Limit        int    // page size, 1..1000; 0 means 100
	WithLicenses bool   // fill User.Licenses
	Order        UserOrder
	AfterKey     string // with Order: the sort key (UserOrder.Key) of the user After names
	// CountAtMost, when positive, makes CountUsers stop counting there, so
	// that a page saying "more than N users" costs the same in a tenant of
	// any size.
	CountAtMost int
}

// MaxPage is the largest page a listing returns.
const MaxPage = 1000

// Validate sets the default page size and returns EINVALID for a page size
// out of 1..MaxPage or an unknown order.
func (f *UserFilter) Validate() error {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	switch f.Order {
	case UserOrderID, UserOrderName, UserOrderNameDesc, UserOrderUPN, UserOrderUPNDesc:
	default:
		return &Error{Code: EINVALID, Field: "$orderby", Value: string(f.Order), Message: fmt.Sprintf("Unknown order %q.", f.Order)}
	}
	if f.Limit > MaxPage {
		return &Error{Code: EINVALID, Field: "$top", Value: strconv.Itoa(f.Limit), Count: f.Limit, Limit: MaxPage,
			Message: fmt.Sprintf("Invalid page size specified: '%d'. Must be between 1 and 1000 inclusive.", f.Limit)}
	}
	return nil
}

// UserService manages users.
type UserService interface {
	// CreateUser stores a new user, assigning ID and CreatedAt when empty.
	// Needs ActionManageUsers. Returns EINVALID for bad fields and
	// ECONFLICT if the userPrincipalName is taken.
	CreateUser(ctx context.Context, p Principal, u *User) error
	// FindUser returns a user by id or userPrincipalName with its licenses.
	// Readers may find anyone, a user only itself (AuthorizeNamed, decided
	// before anything is read, so EFORBIDDEN says nothing of whether the
	// user exists). Returns ENOTFOUND if no such user is active in the
	// principal's tenant.
	FindUser(ctx context.Context, p Principal, idOrUPN string) (*User, error)
	// FindUsers returns one page of users matching f and whether more
	// follow. Needs ActionRead.
	FindUsers(ctx context.Context, p Principal, f UserFilter) (users []*User, more bool, err error)
	// CountUsers counts the users matching f (After and Limit ignored),
	// up to f.CountAtMost when it is positive. Needs ActionRead.
	CountUsers(ctx context.Context, p Principal, f UserFilter) (int, error)
	// UpdateUser changes a user. Needs ActionManageUsers, or
	// ActionAssignLicenses for a change of usage location only
	// (AuthorizeUserUpdate). Returns ENOTFOUND, EINVALID, and
	// EUSAGELOCATION for clearing the usage location of a licensed user.
	UpdateUser(ctx context.Context, p Principal, idOrUPN string, upd UserUpdate) (*User, error)
	// DeleteUser soft-deletes a user: its licenses are freed in the same
	// transaction and kept on record for a restore within DeletedRetention.
	// Needs ActionManageUsers. Returns ENOTFOUND, and EINVALID for one's
	// own account.
	DeleteUser(ctx context.Context, p Principal, idOrUPN string) error
	// RestoreUser brings a deleted user back with its licenses. Needs
	// ActionManageUsers. Returns ENOTFOUND if no such deleted user,
	// ECONFLICT if its userPrincipalName was taken meanwhile and
	// ECOUNTVIOLATION if a license no longer has a free seat; a refused
	// restore changes nothing.
	RestoreUser(ctx context.Context, p Principal, id string) (*User, error)
	// PurgeDeletedUsers removes for good, in every tenant, the users
	// deleted before now-DeletedRetention, audits each one, and returns how
	// many it removed. It is the step "purge-deleted-users" of package
	// lifecycle, and only the system calls it. Safe to call from several
	// processes at once: each user is purged and audited exactly once, and
	// a call that finds another one purging returns 0 and leaves it the work.
	PurgeDeletedUsers(ctx context.Context, now time.Time) (int, error)
}
