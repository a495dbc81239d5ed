package allot

import (
	"context"
	"encoding/json"
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
)

// AuditEvent records one change: who made it, through which channel, what
// changed from what to what, and when. Events are written in the transaction
// of the change they record.
type AuditEvent struct {
	ID         int64
	TenantID   string
	At         time.Time
	ActorID    string // user id of the principal; "" for the system
	ActorName  string
	Via        Channel
	Action     string
	TargetType string // "user", "users" (a bulk change), "subscription", "token", "tenant"
	TargetID   string
	SKUID      string // the SKU concerned, for license and subscription events
	Before     json.RawMessage
	After      json.RawMessage
}

// AuditFilter selects audit events, newest first, paged by Before.
type AuditFilter struct {
	UserID   string // events whose target is this user
	SKUID    string // events concerning this SKU
	BeforeID int64  // keyset cursor: events with smaller ids; 0 for the newest
	Limit    int    // 1..1000; 0 means 100
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

// AuditService reads the audit log.
type AuditService interface {
	// FindAuditEvents returns events matching f, newest first. Needs
	// ActionRead.
	FindAuditEvents(ctx context.Context, p Principal, f AuditFilter) ([]*AuditEvent, error)
}
