package allot

import (
	"context"
	"time"
)

// EntitlementTables is what an EntitlementSource may also offer to load a
// license-check cache fast: the rows of its users, mailboxes and licenses,
// each table read in its own storage order rather than joined, into
// buffers reused from row to row. The cache merges them in memory.
type EntitlementTables interface {
	// ScanEntitlementTables calls users for every user (deleted ones
	// included), then versions for every user's version, then mailboxes
	// for every user with a mailbox state, then licenses for every
	// license, all from one snapshot; with tenantID not "", only for that
	// tenant. A row and its byte slices are valid only during the call;
	// TenantID is the same string for every row of a tenant.
	ScanEntitlementTables(ctx context.Context, tenantID string, users func(*UserRow) error, versions func(*VersionRow) error, mailboxes func(*MailboxRow) error, licenses func(*LicenseRow) error) error
}

// UserRow is one user as EntitlementTables reads it.
type UserRow struct {
	TenantID       string
	UserID         GUID
	UPNLower       []byte // the userPrincipalName in lower case
	AccountEnabled bool
	Deleted        bool
	UsageLocation  []byte // as User.UsageLocation
	// UPN and the names are the user's profile (UserProfile), the
	// userPrincipalName in its case.
	UPN, DisplayName, GivenName, Surname, JobTitle []byte
	CreatedAt                                      time.Time
	// Row is where the storage keeps the user's row (SQLite's rowid), 0
	// when it has no such locator. It is a hint only, for a later read of
	// the user to go straight to the row: the storage may renumber its rows
	// (VACUUM) and a row may come to hold another user, so a read by Row
	// must also check the user's key.
	Row int64
}

// VersionRow is one user's version (Entitlement.Version) as
// EntitlementTables reads it.
type VersionRow struct {
	TenantID string
	UserID   GUID
	Version  int64
}

// MailboxRow is one user's mailbox state as EntitlementTables reads it.
type MailboxRow struct {
	TenantID string
	UserID   GUID
	Mailbox  []byte // a MailboxState
}

// LicenseRow is one license as EntitlementTables reads it.
type LicenseRow struct {
	TenantID      string
	UserID        GUID
	SKUID         []byte
	Pool          []byte // the self-service subscription's id, empty for the admin pool
	DisabledPlans []byte // service plan ids separated by commas
}
