package allot

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// Audit actions.
const (
	AuditUserCreate         = "user.create"
	AuditUserUpdate         = "user.update"
	AuditUserDelete         = "user.delete"
	AuditUserRestore        = "user.restore"
	AuditUserPurge          = "user.purge"
	AuditLicenseAdd         = "license.add"
	AuditLicenseRemove      = "license.remove"
	AuditLicenseUpdate      = "license.update" // disabled plans changed
	AuditRoleAssign         = "role.assign"
	AuditRoleUnassign       = "role.unassign"
	AuditSubscriptionCreate = "subscription.create"
	AuditSubscriptionUpdate = "subscription.update"
	AuditTokenCreate        = "token.create"
	AuditTokenRevoke        = "token.revoke"
	AuditTenantCreate       = "tenant.create"
	AuditHoldCreate         = "hold.create"
	AuditHoldRelease        = "hold.release"
	AuditDataUpdate         = "data.update"          // a user's mailbox or files changed state
	AuditFileRetention      = "tenant.fileRetention" // the tenant's file retention changed
	AuditUserOffboard       = "user.offboard"        // a former employee offboarded in one operation
)

// Audit categories, as Microsoft Graph's directoryAudit names them.
const (
	AuditCategoryUsers       = "UserManagement"
	AuditCategoryRoles       = "RoleManagement"
	AuditCategoryDirectory   = "DirectoryManagement"
	AuditCategoryApplication = "ApplicationManagement"
	AuditCategoryOther       = "Other"
)

// AuditActivity is how the audit log names an action to people and to
// Graph clients: its category, its activityDisplayName (Microsoft's name
// where Microsoft has one) and its operationType.
type AuditActivity struct {
	Category      string
	DisplayName   string
	OperationType string
}

// auditActivities names every action allot records.
var auditActivities = map[string]AuditActivity{
	AuditUserCreate:         {AuditCategoryUsers, "Add user", "Add"},
	AuditUserUpdate:         {AuditCategoryUsers, "Update user", "Update"},
	AuditUserDelete:         {AuditCategoryUsers, "Delete user", "Delete"},
	AuditUserRestore:        {AuditCategoryUsers, "Restore user", "Restore"},
	AuditUserPurge:          {AuditCategoryUsers, "Hard delete user", "Delete"},
	AuditLicenseAdd:         {AuditCategoryUsers, "Change user license", "Assign"},
	AuditLicenseRemove:      {AuditCategoryUsers, "Change user license", "Unassign"},
	AuditLicenseUpdate:      {AuditCategoryUsers, "Change user license", "Update"},
	AuditRoleAssign:         {AuditCategoryRoles, "Add member to role", "Assign"},
	AuditRoleUnassign:       {AuditCategoryRoles, "Remove member from role", "Unassign"},
	AuditSubscriptionCreate: {AuditCategoryDirectory, "Add subscription", "Add"},
	AuditSubscriptionUpdate: {AuditCategoryDirectory, "Update subscription", "Update"},
	AuditTokenCreate:        {AuditCategoryApplication, "Add access token", "Add"},
	AuditTokenRevoke:        {AuditCategoryApplication, "Revoke access token", "Delete"},
	AuditAppCreate:          {AuditCategoryApplication, "Add service principal", "Add"},
	AuditTenantCreate:       {AuditCategoryDirectory, "Create company", "Add"},
	AuditDomainCreate:       {AuditCategoryDirectory, "Add verified domain", "Add"},
	AuditDomainUpdate:       {AuditCategoryDirectory, "Set company default domain", "Update"},
	AuditHoldCreate:         {AuditCategoryOther, "Place hold", "Add"},
	AuditHoldRelease:        {AuditCategoryOther, "Release hold", "Delete"},
	AuditDataUpdate:         {AuditCategoryUsers, "Update user data", "Update"},
	AuditFileRetention:      {AuditCategoryDirectory, "Set file retention", "Update"},
	AuditUserOffboard:       {AuditCategoryUsers, "Offboard user", "Update"},
	AuditPasswordSet:        {AuditCategoryUsers, "Reset user password", "Update"},
	AuditSignIn:             {AuditCategoryUsers, "Sign in to the admin center", "Other"},
}

// Activity returns how the audit log names action: an action allot does
// not know (recorded by a newer version) is in category Other under its
// own name.
func Activity(action string) AuditActivity {
	if a, ok := auditActivities[action]; ok {
		return a
	}
	return AuditActivity{AuditCategoryOther, action, "Update"}
}

// IsLicenseAction reports whether an action changes a user's licenses: the
// events a License Administrator may read.
func IsLicenseAction(action string) bool { return strings.HasPrefix(action, "license.") }

// AuditEvent records one change: who made it, through which channel, what
// changed from what to what, and when. Events are written in the transaction
// of the change they record.
type AuditEvent struct {
	ID         int64
	TenantID   string
	At         time.Time
	ActorID    string // user id of the principal, or its application's id (ActorApp); "" for the system
	ActorApp   bool   // the principal was an application acting with its own token
	ActorName  string
	Via        Channel
	Action     string
	TargetType string // "user", "users" (a bulk change), "subscription", "token", "tenant"
	TargetID   string
	SKUID      string // the SKU concerned, for license and subscription events
	Before     json.RawMessage
	After      json.RawMessage

	// TargetUPN and TargetName are the userPrincipalName and display
	// name of a user target while the user exists (deleted ones
	// included), else "".
	TargetUPN, TargetName string
	// Subjects are the users of a bulk change (TargetType "users" read
	// without a target filter), at most MaxAuditSubjects of them in id
	// order; SubjectCount is how many there are in all.
	Subjects     []AuditSubject
	SubjectCount int
}

// AuditSubject is one user of a bulk change, with that user's before and
// after.
type AuditSubject struct {
	UserID, UPN, Name string
	Before, After     json.RawMessage
}

// MaxAuditSubjects is how many users of one bulk change a read of the
// audit log returns with the event; a read filtered on one user returns
// that user's part of every bulk change.
const MaxAuditSubjects = 100

// AuditFilter selects audit events, newest first, paged by BeforeID. The
// conditions are ANDed; zero values select everything.
type AuditFilter struct {
	ID       int64     // the event with this id
	UserID   string    // events whose target is this object (a user, including the users of a bulk change, or any other object's id)
	SKUID    string    // events concerning this SKU
	ActorID  string    // events made by this principal: a user's id, or an application's with ActorApp
	ActorApp bool      // ActorID names an application
	Category string    // events of this category (AuditActivity.Category)
	Since    time.Time // events at or after this instant
	Until    time.Time // events at or before this instant
	BeforeID int64     // keyset cursor: events with smaller ids; 0 for the newest
	Limit    int       // 1..1000; 0 means 100
	// Bare leaves out what only people read: the target user's name and
	// the subjects of a bulk change (SubjectCount is still set), so that a
	// reader of many events, such as the seat charts, pays for neither.
	Bare bool
}

// Validate sets the default page size and returns EINVALID for a page size
// out of 1..MaxPage.
func (f *AuditFilter) Validate() error {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxPage {
		return &Error{Code: EINVALID, Count: f.Limit, Limit: MaxPage, Message: "Page size must be between 1 and 1000."}
	}
	return nil
}

// AuditScope decides, from the principal alone and before anything is
// read, which actions a read of the audit log with f may return: nil for
// every action, else the only ones (an empty list when none can match).
// Global Administrators and Global Readers read everything; License
// Administrators the license events only (IsLicenseAction); anyone else
// is refused with EFORBIDDEN. f.Category narrows the actions further.
func AuditScope(p Principal, f AuditFilter) ([]string, error) {
	if err := Authorize(p, ActionReadAudit); err != nil {
		return nil, err
	}
	licenseOnly := !p.System && !slices.ContainsFunc(allowed[ActionReadAudit], func(r Role) bool {
		return r != RoleLicenseAdmin && p.HasRole(r)
	})
	if !licenseOnly && f.Category == "" {
		return nil, nil
	}
	actions := []string{}
	for _, a := range slices.Sorted(maps.Keys(auditActivities)) {
		if (!licenseOnly || IsLicenseAction(a)) && (f.Category == "" || auditActivities[a].Category == f.Category) {
			actions = append(actions, a)
		}
	}
	return actions, nil
}

// AuditService reads the audit log.
type AuditService interface {
	// FindAuditEvents returns events matching f, newest first: all of
	// them for Global Administrators and Global Readers, the license
	// events for License Administrators (AuditScope, decided before
	// anything is read). Returns EFORBIDDEN for anyone else, EINVALID for
	// a page size out of range.
	FindAuditEvents(ctx context.Context, p Principal, f AuditFilter) ([]*AuditEvent, error)
}
