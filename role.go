package allot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Role is an administrator role a user may hold in its tenant.
type Role string

// The roles allot knows, named as in the Microsoft 365 admin center.
const (
	RoleGlobalAdmin  Role = "Global Administrator"
	RoleLicenseAdmin Role = "License Administrator"
	RoleUserAdmin    Role = "User Administrator"
	RoleBillingAdmin Role = "Billing Administrator"
	RoleGlobalReader Role = "Global Reader"
	// RoleLicenseChecker is for applications: it may only ask license
	// checks. Give it to a service account and issue that account a token.
	RoleLicenseChecker Role = "License Checker"
)

// Roles lists every role in the order the admin center shows them.
var Roles = []Role{RoleGlobalAdmin, RoleLicenseAdmin, RoleUserAdmin, RoleBillingAdmin, RoleGlobalReader, RoleLicenseChecker}

// AdminRoles lists the administrator roles, which may read the tenant.
var AdminRoles = []Role{RoleGlobalAdmin, RoleLicenseAdmin, RoleUserAdmin, RoleBillingAdmin, RoleGlobalReader}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Action is a kind of operation that roles allow or refuse.
type Action string

// The actions checked by Authorize.
const (
	ActionRead                Action = "read"            // read anything in the tenant
	ActionAssignLicenses      Action = "assign licenses" // assign and unassign licenses
	ActionManageUsers         Action = "manage users"    // create, update, delete, restore users
	ActionManageSubscriptions Action = "manage subscriptions"
	ActionManageRoles         Action = "manage roles"
	ActionCheck               Action = "check licenses" // ask whether users may use service plans
	// ActionReadAudit reads the audit log; License Administrators see
	// the license events only (AuditScope).
	ActionReadAudit Action = "read the audit log"
	// ActionManageHolds places and releases holds and searches mailboxes
	// (eDiscovery).
	ActionManageHolds Action = "manage holds"
)

// allowed says which roles may perform each action. The system principal may
// perform every action; an ordinary user none of them (a user may still read
// their own user, licenses and roles, which services check with
// AuthorizeNamed).
var allowed = map[Action][]Role{
	ActionRead:                AdminRoles,
	ActionCheck:               Roles,
	ActionAssignLicenses:      {RoleGlobalAdmin, RoleLicenseAdmin, RoleUserAdmin},
	ActionManageUsers:         {RoleGlobalAdmin, RoleUserAdmin},
	ActionManageSubscriptions: {RoleGlobalAdmin, RoleBillingAdmin},
	ActionManageRoles:         {RoleGlobalAdmin},
	ActionReadAudit:           {RoleGlobalAdmin, RoleGlobalReader, RoleLicenseAdmin},
	ActionManageHolds:         {RoleGlobalAdmin},
}

// Actions lists the actions role r allows, by name.
func (r Role) Actions() []Action {
	var out []Action
	for _, a := range slices.Sorted(maps.Keys(allowed)) {
		if slices.Contains(allowed[a], r) {
			out = append(out, a)
		}
	}
	return out
}

// Can reports whether the principal's roles allow action a.
func (p Principal) Can(a Action) bool {
	if p.System {
		return true
	}
	for _, r := range allowed[a] {
		if p.HasRole(r) {
			return true
		}
	}
	return false
}

// Authorize returns EFORBIDDEN unless the principal may perform action a.
func Authorize(p Principal, a Action) error {
	if p.Can(a) {
		return nil
	}
	return Errorf(EFORBIDDEN, "Insufficient privileges to complete the operation: %s needs one of the roles %s.", a, roleList(allowed[a]))
}

// AuthorizeNamed decides, from the principal alone and before anything is
// loaded, whether it may read the user it names by id or userPrincipalName:
// readers may name anyone, anyone else only itself (compared
// case-insensitively). Returns EFORBIDDEN, the same whether or not the
// named user exists.
func AuthorizeNamed(p Principal, idOrUPN string) error {
	key := strings.TrimSpace(idOrUPN)
	if p.UserID != "" && (strings.EqualFold(key, p.UserID) || (p.Name != "" && strings.EqualFold(key, p.Name))) {
		return nil
	}
	return Authorize(p, ActionRead)
}

// AuthorizeUserUpdate returns EFORBIDDEN unless the principal may make the
// update: user managers may change anything, and those who assign licenses
// (License Administrators) the usage location alone, which assignments
// need.
func AuthorizeUserUpdate(p Principal, upd UserUpdate) error {
	err := Authorize(p, ActionManageUsers)
	if err != nil && upd.OnlyUsageLocation() && p.Can(ActionAssignLicenses) {
		return nil
	}
	return err
}

// ValidateRole returns EINVALID for a role allot does not know.
func ValidateRole(r Role) error {
	if !r.Valid() {
		return &Error{Code: EINVALID, Message: fmt.Sprintf("Unknown role %q.", r), Field: "role", Value: string(r)}
	}
	return nil
}

func roleList(rs []Role) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += string(r)
	}
	return s
}

// RoleAssignment records that a principal, a user or an application,
// holds a role in its tenant (Graph's unifiedRoleAssignment, always at the
// directory scope "/").
type RoleAssignment struct {
	ID            string // RoleAssignmentID(Role, PrincipalID)
	PrincipalID   string // the id of the user or application
	PrincipalType string // PrincipalUser or PrincipalApp
	PrincipalName string // the user's userPrincipalName or the application's name
	Role          Role
}

// The kinds of principal a role is assigned to.
const (
	PrincipalUser = "user"
	PrincipalApp  = "application"
)

// RoleAssignmentFilter selects role assignments; zero fields select all.
type RoleAssignmentFilter struct {
	PrincipalID string
	Role        Role
}

// CheckGlobalAdminKept returns EINVALID when the user userID losing the
// Global Administrator role (by revocation, deletion or blocked sign-in)
// would leave its tenant without an active one. holders are the users
// holding the role; only those not deleted and allowed to sign in count,
// and applications never do: a tenant keeps a person who can administer
// it. Losing the role when userID is not an active holder is allowed.
func CheckGlobalAdminKept(holders []*User, userID string) error {
	losing, others := false, 0
	for _, u := range holders {
		switch {
		case u.Deleted() || !u.AccountEnabled:
		case strings.EqualFold(u.ID, userID):
			losing = true
		default:
			others++
		}
	}
	if losing && others == 0 {
		return &Error{Code: EINVALID, UserID: userID, Value: string(RoleGlobalAdmin),
			Message: "The last Global Administrator of the tenant cannot be removed, deleted or blocked: assign the role to another user first."}
	}
	return nil
}

// RoleService manages role assignments. A principal of the assignments is
// a user (by id, or by userPrincipalName where noted) or an application.
type RoleService interface {
	// AssignRole gives a user a role. Idempotent. Needs ActionManageRoles.
	// Returns ENOTFOUND if the user does not exist, EINVALID for an unknown role.
	AssignRole(ctx context.Context, p Principal, userID string, r Role) error
	// UnassignRole takes a role away. Idempotent. Needs ActionManageRoles.
	// Returns EINVALID when it would remove the last Global Administrator
	// (CheckGlobalAdminKept).
	UnassignRole(ctx context.Context, p Principal, userID string, r Role) error
	// FindRoles returns the roles held by a user. The user itself or any
	// reader may call it (AuthorizeNamed, decided before anything is read).
	// Returns EFORBIDDEN, ENOTFOUND.
	FindRoles(ctx context.Context, p Principal, userID string) ([]Role, error)
	// FindRoleAssignments lists the tenant's assignments matching f, by
	// role (in the order of Roles) then principal id. Needs ActionRead.
	FindRoleAssignments(ctx context.Context, p Principal, f RoleAssignmentFilter) ([]*RoleAssignment, error)
	// CreateRoleAssignment gives role r to the user (id or
	// userPrincipalName) or application principalID. Needs
	// ActionManageRoles. Returns ENOTFOUND if there is no such principal,
	// EINVALID for an unknown role, ECONFLICT if the principal already
	// holds the role (as Graph answers a duplicate assignment).
	CreateRoleAssignment(ctx context.Context, p Principal, principalID string, r Role) (*RoleAssignment, error)
	// DeleteRoleAssignment revokes the assignment with the given id. Needs
	// ActionManageRoles. Returns ENOTFOUND if there is no such assignment,
	// EINVALID for the last Global Administrator (CheckGlobalAdminKept).
	DeleteRoleAssignment(ctx context.Context, p Principal, id string) error
}
