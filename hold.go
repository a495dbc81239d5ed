package allot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Hold is a litigation hold on one user (U4): while it lasts, the user's
// mailbox is not purged; past its grace period, or past the user's
// deletion, it is kept as an inactive mailbox and stays searchable.
// Releasing the hold lets the purge proceed.
type Hold struct {
	ID                string // GUID
	TenantID          string
	UserID            string // the user held
	UserPrincipalName string
	Name              string // why, e.g. a case name
	CreatedAt         time.Time
	CreatedBy         string    // the userPrincipalName (or label) of who placed it
	ReleasedAt        time.Time // zero while the hold lasts
}

// Active reports whether the hold still lasts.
func (h *Hold) Active() bool { return h.ReleasedAt.IsZero() }

// MaxHoldNameLength bounds a hold's name.
const MaxHoldNameLength = 256

// Validate normalises the hold's fields and returns EINVALID, with Field
// naming it, if the user or the name is missing or the name too long.
func (h *Hold) Validate() error {
	h.UserID = strings.TrimSpace(h.UserID)
	h.Name = strings.TrimSpace(h.Name)
	if h.UserID == "" {
		return &Error{Code: EINVALID, Field: "user", Message: "A hold names the user it holds."}
	}
	return CheckHoldName(h.Name)
}

// CheckHoldName returns EINVALID, with Field "name", unless name has 1
// to MaxHoldNameLength characters of valid UTF-8: the rule of a hold
// placed alone (Hold.Validate) and of one placed by an offboarding
// (Offboarding.Validate).
func CheckHoldName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > MaxHoldNameLength || !utf8.ValidString(name) {
		return &Error{Code: EINVALID, Field: "name", Value: name, Limit: MaxHoldNameLength,
			Message: "A hold has a name of 1 to 256 characters."}
	}
	return nil
}

// HoldFilter selects holds.
type HoldFilter struct {
	User            string // a user's id, "" for all
	IncludeReleased bool   // list released holds too
}

// HoldService places and releases holds and lists what content search
// reaches. Only Global Administrators may call it (ActionManageHolds);
// everyone else gets EFORBIDDEN before anything is read.
type HoldService interface {
	// CreateHold places a hold on the user h.UserID names (id or
	// userPrincipalName; deleted users included, and by id users purged
	// whose mailbox is still kept). Returns EINVALID for a bad hold and
	// ENOTFOUND for an unknown user. It fills the hold's other fields.
	CreateHold(ctx context.Context, p Principal, h *Hold) error
	// FindHolds lists holds, active ones only unless f says otherwise,
	// oldest first.
	FindHolds(ctx context.Context, p Principal, f HoldFilter) ([]*Hold, error)
	// ReleaseHold ends a hold. Returns ENOTFOUND for an unknown hold and
	// ECONFLICT for one already released.
	ReleaseHold(ctx context.Context, p Principal, id string) (*Hold, error)
	// FindSearchableMailboxes lists one page of the mailboxes content
	// search reaches now (UserData.Searchable): licensed ones and held ones,
	// never an unheld mailbox in its grace period, in user id order, and
	// whether more follow. Returns EINVALID for a bad page size.
	FindSearchableMailboxes(ctx context.Context, p Principal, f MailboxFilter) (ms []*SearchableMailbox, more bool, err error)
}

// MailboxFilter pages the searchable mailboxes.
type MailboxFilter struct {
	After string // keyset cursor: user ids greater than this
	Limit int    // page size, 1..MaxPage; 0 means 100
}

// Validate sets the default page size and returns EINVALID for one out of
// 1..MaxPage.
func (f *MailboxFilter) Validate() error {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxPage {
		return &Error{Code: EINVALID, Field: "$top", Count: f.Limit, Limit: MaxPage,
			Message: fmt.Sprintf("Invalid page size specified: '%d'. Must be between 1 and %d inclusive.", f.Limit, MaxPage)}
	}
	return nil
}

// SearchableMailbox is a mailbox content search reaches.
type SearchableMailbox struct {
	UserID            string
	UserPrincipalName string
	State             MailboxState
	Held              bool
}
