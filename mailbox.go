package allot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// MailboxGrace is how long a disconnected mailbox is kept after its user
// lost the last license carrying a mailbox (or was deleted) before it is
// purged for good, unless a hold keeps it as an inactive mailbox.
const MailboxGrace = 30 * 24 * time.Hour

// File retention bounds: how long a deleted user's files are kept, per
// tenant, 30 days by default.
const (
	DefaultFileRetentionDays = 30
	MinFileRetentionDays     = 30
	MaxFileRetentionDays     = 3650
)

// ValidateFileRetention returns EINVALID, with Field, Value and Limit set,
// unless days is a file retention a tenant may choose: 30 to 3,650 days.
func ValidateFileRetention(days int) error {
	if days < MinFileRetentionDays || days > MaxFileRetentionDays {
		return &Error{Code: EINVALID, Field: "fileRetentionDays", Value: strconv.Itoa(days), Limit: MaxFileRetentionDays,
			Message: fmt.Sprintf("The file retention is %d to %d days, not %d.", MinFileRetentionDays, MaxFileRetentionDays, days)}
	}
	return nil
}

// MailboxState is where a user's mailbox stands in its lifecycle (U2).
type MailboxState string

// The mailbox states.
const (
	MailboxNone         MailboxState = ""             // never provisioned
	MailboxActive       MailboxState = "active"       // connected: a license carrying a mailbox is held
	MailboxDisconnected MailboxState = "disconnected" // in its grace period, until MailboxPurgeAt
	MailboxInactive     MailboxState = "inactive"     // kept past its grace period by a hold
	MailboxPurged       MailboxState = "purged"       // deleted for good
)

// FilesState is where a user's files stand in their lifecycle (U3).
type FilesState string

// The files states.
const (
	FilesNone            FilesState = ""                // never provisioned
	FilesActive          FilesState = "active"          // kept, licensed or not
	FilesPendingDeletion FilesState = "pendingDeletion" // the user is deleted; gone at FilesDeleteAt
	FilesDeleted         FilesState = "deleted"         // deleted for good
)

// UserData is the state of one user's mailbox and files. It outlives the
// user: a held mailbox and files within their retention stay after the
// user is purged.
type UserData struct {
	TenantID          string
	UserID            string
	UserPrincipalName string

	Mailbox          MailboxState
	MailboxCreatedAt time.Time // when the mailbox was provisioned; a reconnection keeps it
	MailboxSince     time.Time // when it entered its state
	MailboxPurgeAt   time.Time // Disconnected: when the grace period ends

	Files         FilesState
	FilesSince    time.Time // when they entered their state
	FilesDeleteAt time.Time // PendingDeletion: when they are deleted

	// MailboxPlanID is the service plan whose loss disconnected the
	// mailbox, kept while it is Disconnected or Inactive; FilesPlanID the
	// one whose loss left the files without a license (or the user's
	// deletion scheduled them), kept until they are licensed again or
	// deleted. user.assignedPlans shows them as Deleted (Graph's
	// capabilityStatus) while their data lasts. "" when none.
	MailboxPlanID string
	FilesPlanID   string
}

// DueAt returns when the lifecycle next has something to decide about d,
// or the zero time if nothing: the end of a mailbox's grace period, a
// deleted user's file deletion (which stays due while a hold keeps the
// files past it), and (always due) an inactive mailbox, purged as soon as
// no hold covers it.
func (d *UserData) DueAt() time.Time {
	var due time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (due.IsZero() || t.Before(due)) {
			due = t
		}
	}
	switch d.Mailbox {
	case MailboxDisconnected:
		earliest(d.MailboxPurgeAt)
	case MailboxInactive:
		earliest(d.MailboxSince)
	}
	if d.Files == FilesPendingDeletion {
		earliest(d.FilesDeleteAt)
	}
	return due
}

// Equal reports whether d and o are the same state, times compared as
// instants.
func (d *UserData) Equal(o *UserData) bool {
	return d.TenantID == o.TenantID && d.UserID == o.UserID && d.UserPrincipalName == o.UserPrincipalName &&
		d.Mailbox == o.Mailbox && d.MailboxCreatedAt.Equal(o.MailboxCreatedAt) && d.MailboxSince.Equal(o.MailboxSince) &&
		d.MailboxPurgeAt.Equal(o.MailboxPurgeAt) && d.Files == o.Files && d.FilesSince.Equal(o.FilesSince) && d.FilesDeleteAt.Equal(o.FilesDeleteAt) &&
		d.MailboxPlanID == o.MailboxPlanID && d.FilesPlanID == o.FilesPlanID
}

// Searchable reports whether content search (eDiscovery) reaches the
// mailbox (U4): a connected one, or a held one not yet purged; never an
// unheld mailbox in its grace period.
func (d *UserData) Searchable(held bool) bool {
	switch d.Mailbox {
	case MailboxActive:
		return true
	case MailboxDisconnected, MailboxInactive:
		return held
	}
	return false
}

// CheckedMailbox returns the mailbox state a license check names for a
// user without a mailbox plan (U6): a disconnected mailbox that a hold
// covers is named as inactive, the state the hold keeps it in (its
// content is kept past the grace period and content search reaches it),
// so the check answers ReasonMailboxInactive, not ReasonMailboxInGrace.
// Any other state is m. Stores give entitlements this state.
func CheckedMailbox(m MailboxState, held bool) MailboxState {
	if m == MailboxDisconnected && held {
		return MailboxInactive
	}
	return m
}

// DataEventKind is what happened to a user that may change its data.
type DataEventKind int

// The events NextUserData handles.
const (
	DataLicensesChanged DataEventKind = iota // Before and After hold the licenses
	DataUserDeleted                          // Before holds the licenses the user had
	DataUserRestored                         // After holds the licenses the user has again
	DataTimePassed                           // the lifecycle step looks at the data at Now
)

// DataEvent is one event NextUserData applies to a user's data.
type DataEvent struct {
	Kind          DataEventKind
	Before, After []License
	Held          bool          // a hold covers the user now
	FileRetention time.Duration // the tenant's; used when the user is deleted
	Now           time.Time
}

// HasData reports whether any of the licenses carries an enabled service
// plan holding data of kind k.
func HasData(c *Catalog, ls []License, k DataKind) bool {
	return DataPlan(c, ls, k) != ""
}

// MayChange reports whether ev can change any user's data, so that a
// store need not read the data of users a bulk change leaves untouched: a
// license change matters when it takes the last mailbox or files license
// away or gives one; a deletion, a restore and the passing of time always
// may.
func (ev *DataEvent) MayChange(c *Catalog) bool {
	if ev.Kind != DataLicensesChanged {
		return true
	}
	b, a := plansOf(c, ev.Before), plansOf(c, ev.After)
	return (b.mailbox != "") != (a.mailbox != "") || (b.files != "") != (a.files != "")
}

// DataPlan returns the id of the first enabled service plan of the
// licenses that holds data of kind k, or "".
func DataPlan(c *Catalog, ls []License, k DataKind) string {
	switch k {
	case DataMailbox:
		return plansOf(c, ls).mailbox
	case DataFiles:
		return plansOf(c, ls).files
	}
	return ""
}

// dataPlans are the ids of the first enabled service plans of some
// licenses that hold a mailbox and files, each "" if none does.
type dataPlans struct{ mailbox, files string }

// plansOf returns the data plans of the licenses ls (DataPlan of each
// kind). The data rules ask about every user of a bulk change, before and
// after, so it reads each license once and walks only the plans of its
// SKU that hold data (SKU.holding), a few of a suite's 25 or more.
func plansOf(c *Catalog, ls []License) dataPlans {
	var d dataPlans
	for _, l := range ls {
		sku := c.SKU(l.SKUID)
		if sku == nil {
			continue
		}
		for _, i := range sku.holding {
			p := sku.Plans[i]
			var id *string
			switch p.Data {
			case DataMailbox:
				id = &d.mailbox
			case DataFiles:
				id = &d.files
			default:
				continue
			}
			if *id == "" && !slices.Contains(l.DisabledPlans, p.ID) {
				*id = p.ID
			}
		}
		if d.mailbox != "" && d.files != "" {
			break
		}
	}
	return d
}

// DataOrderMatters reports whether the data rules' answers for the
// license change ch of a user holding ls may depend on the order of ls
// (the order of their assignment, as stores keep them). NextUserData asks
// DataPlan about the licenses held before a change, as they were held,
// only for a kind of data the change takes away, which it can do only if
// it names the SKU of every license carrying that kind; and DataPlan's
// answer depends on their order only if two of them carry different plans
// of that kind (several SKUs share a plan: E3's and E5's mailbox is one).
// A store holding the licenses in another order reads it before applying
// the data rules.
func DataOrderMatters(c *Catalog, ls []License, ch LicenseChange) bool {
	for _, k := range []DataKind{DataMailbox, DataFiles} {
		first, differ, kept := "", false, false
		for i := range ls {
			id := DataPlan(c, ls[i:i+1], k)
			if id == "" {
				continue
			}
			if !ch.Names(ls[i].SKUID) {
				kept = true // the change cannot take k away
				break
			}
			if first == "" {
				first = id
			} else if id != first {
				differ = true
			}
		}
		if differ && !kept {
			return true
		}
	}
	return false
}

// NextUserData returns the state of a user's data after event ev. It is
// the one rule of the data lifecycle: a license change, a deletion, a
// restore and the lifecycle step all apply it, and the impact preview
// computes with it, so that what the preview says is what happens.
//
// A user with no recorded state who held a license carrying a mailbox
// (or files) before the event had them: data recorded before allot kept
// this state is treated as provisioned.
func NextUserData(c *Catalog, d UserData, ev DataEvent) UserData {
	switch ev.Kind {
	case DataLicensesChanged:
		before, after := plansOf(c, ev.Before), plansOf(c, ev.After)
		d = nextMailbox(d, before, after, ev.Now)
		return provisionFiles(d, before, after, ev.Now)
	case DataUserDeleted:
		before := plansOf(c, ev.Before)
		d = nextMailbox(d, before, dataPlans{}, ev.Now)
		d = provisionFiles(d, before, dataPlans{}, ev.Now) // records the files plan lost
		if d.Files == FilesActive || (d.Files == FilesNone && before.files != "") {
			d.Files, d.FilesSince, d.FilesDeleteAt = FilesPendingDeletion, ev.Now, ev.Now.Add(ev.FileRetention)
		}
		return d
	case DataUserRestored:
		if d.Files == FilesPendingDeletion {
			d.Files, d.FilesSince, d.FilesDeleteAt = FilesActive, ev.Now, time.Time{}
		}
		after := plansOf(c, ev.After)
		d = nextMailbox(d, dataPlans{}, after, ev.Now)
		return provisionFiles(d, dataPlans{}, after, ev.Now)
	case DataTimePassed:
		return expireData(d, ev.Held, ev.Now)
	}
	return d
}

// nextMailbox connects, reconnects or disconnects the mailbox as the
// licenses before and after a change carry one or not.
func nextMailbox(d UserData, before, after dataPlans, now time.Time) UserData {
	has := after.mailbox != ""
	switch {
	case has && d.Mailbox == MailboxActive:
	case has && (d.Mailbox == MailboxDisconnected || d.Mailbox == MailboxInactive):
		d.Mailbox, d.MailboxSince, d.MailboxPurgeAt, d.MailboxPlanID = MailboxActive, now, time.Time{}, ""
	case has && d.Mailbox == MailboxNone && before.mailbox != "":
		d.Mailbox = MailboxActive // provisioned before its state was kept
	case has:
		d.Mailbox, d.MailboxCreatedAt, d.MailboxSince, d.MailboxPurgeAt, d.MailboxPlanID = MailboxActive, now, now, time.Time{}, ""
	case d.Mailbox == MailboxActive || (d.Mailbox == MailboxNone && before.mailbox != ""):
		d.Mailbox, d.MailboxSince, d.MailboxPurgeAt = MailboxDisconnected, now, now.Add(MailboxGrace)
		d.MailboxPlanID = before.mailbox
	}
	return d
}

// provisionFiles gives files to a user who gets a license carrying them
// and has none (or had them deleted), and records the files plan a user
// whose files are kept loses (FilesPlanID).
func provisionFiles(d UserData, before, after dataPlans, now time.Time) UserData {
	switch {
	case after.files != "":
		d.FilesPlanID = ""
	case d.Files != FilesDeleted && before.files != "":
		d.FilesPlanID = before.files
	}
	if (d.Files == FilesNone || d.Files == FilesDeleted) && after.files != "" {
		if d.Files == FilesNone && before.files != "" {
			d.Files = FilesActive // provisioned before its state was kept
			return d
		}
		d.Files, d.FilesSince = FilesActive, now
	}
	return d
}

// expireData applies what the passing of time makes due at now: a mailbox
// past its grace period becomes inactive if held, else is purged; an
// inactive mailbox no hold covers any more is purged; a deleted user's
// files past their retention are deleted unless a hold covers the user
// (U3, U4: then they stay pending, always due, until the hold is released).
func expireData(d UserData, held bool, now time.Time) UserData {
	switch {
	case d.Mailbox == MailboxDisconnected && !now.Before(d.MailboxPurgeAt) && held:
		d.Mailbox, d.MailboxSince, d.MailboxPurgeAt = MailboxInactive, now, time.Time{}
	case d.Mailbox == MailboxDisconnected && !now.Before(d.MailboxPurgeAt),
		d.Mailbox == MailboxInactive && !held:
		d.Mailbox, d.MailboxSince, d.MailboxPurgeAt, d.MailboxPlanID = MailboxPurged, now, time.Time{}, ""
	}
	if d.Files == FilesPendingDeletion && !now.Before(d.FilesDeleteAt) && !held {
		d.Files, d.FilesSince, d.FilesDeleteAt, d.FilesPlanID = FilesDeleted, now, time.Time{}, ""
	}
	return d
}

// DataService reads users' data states and runs their lifecycle.
type DataService interface {
	// FindUserData returns the state of a user's mailbox and files, the
	// user named by id or userPrincipalName (deleted users included, and
	// by id users purged whose data remains). Readers may read anyone's,
	// a user its own (AuthorizeNamed). Returns ENOTFOUND for an unknown
	// user.
	FindUserData(ctx context.Context, p Principal, idOrUPN string) (*UserData, error)
	// PreviewLicenses returns what AssignLicenses would do to the user's
	// data, changing nothing. Same authorization and errors as
	// AssignLicenses.
	PreviewLicenses(ctx context.Context, p Principal, idOrUPN string, ch LicenseChange) (*DataImpact, error)
	// PreviewDelete returns what DeleteUser would do to the user's data,
	// changing nothing. Same authorization and errors as DeleteUser.
	PreviewDelete(ctx context.Context, p Principal, idOrUPN string) (*DataImpact, error)
	// ExpireUserData applies, in every tenant, what is due at now
	// (NextUserData with DataTimePassed): grace periods that ended, holds
	// released, file retentions that passed. Returns how many users' data
	// changed. The system's job: it takes no principal.
	ExpireUserData(ctx context.Context, now time.Time) (int, error)
	// FileRetentionDays returns how many days the tenant keeps a deleted
	// user's files. Readers may read it.
	FileRetentionDays(ctx context.Context, p Principal) (int, error)
	// SetFileRetentionDays sets it, for users deleted afterwards. Needs
	// ActionManageHolds; returns EINVALID outside 30 to 3,650 days.
	SetFileRetentionDays(ctx context.Context, p Principal, days int) error
}
