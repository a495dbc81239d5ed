package allot

import (
	"fmt"
	"strings"
	"time"
)

// DataImpact says what a change does to one user's data and when (A4):
// the state before and after, whether content search reaches the mailbox
// before and after, and the dates at which the lifecycle will act. The
// preview of a change and the change itself compute it with the same
// function, NextUserData.
type DataImpact struct {
	UserID            string
	UserPrincipalName string
	Before, After     UserData
	Held              bool // a hold covers the user
	SearchableBefore  bool
	SearchableAfter   bool
}

// Impact returns the impact of moving a user's data from before to after,
// with held saying whether a hold covers the user.
func Impact(before, after UserData, held bool) DataImpact {
	return DataImpact{UserID: after.UserID, UserPrincipalName: after.UserPrincipalName, Before: before, After: after, Held: held,
		SearchableBefore: before.Searchable(held), SearchableAfter: after.Searchable(held)}
}

// Changed reports whether the change touches the user's data at all.
func (i *DataImpact) Changed() bool {
	return i.Before.Mailbox != i.After.Mailbox || i.Before.Files != i.After.Files ||
		!i.Before.MailboxPurgeAt.Equal(i.After.MailboxPurgeAt) || !i.Before.FilesDeleteAt.Equal(i.After.FilesDeleteAt)
}

// String describes the impact in one line of English, e.g. "mailbox
// disconnected now, purged on 2026-12-29 unless a license with a mailbox
// comes back; files kept; not searchable from now".
func (i *DataImpact) String() string {
	parts := []string{i.mailboxText(), i.filesText()}
	switch {
	case i.SearchableBefore && !i.SearchableAfter:
		parts = append(parts, "not searchable from now")
	case !i.SearchableBefore && i.SearchableAfter:
		parts = append(parts, "searchable from now")
	case i.SearchableAfter:
		parts = append(parts, "still searchable")
	}
	return strings.Join(parts, "; ")
}

func (i *DataImpact) mailboxText() string {
	b, a := i.Before, i.After
	switch {
	case a.Mailbox == MailboxDisconnected && b.Mailbox != MailboxDisconnected && i.Held:
		return fmt.Sprintf("mailbox disconnected now, kept as an inactive mailbox from %s while held", day(a.MailboxPurgeAt))
	case a.Mailbox == MailboxDisconnected && i.Held:
		return fmt.Sprintf("mailbox still disconnected, kept as an inactive mailbox from %s while held", day(a.MailboxPurgeAt))
	case a.Mailbox == MailboxDisconnected && b.Mailbox != MailboxDisconnected:
		return fmt.Sprintf("mailbox disconnected now, purged on %s unless a license with a mailbox comes back", day(a.MailboxPurgeAt))
	case a.Mailbox == MailboxDisconnected:
		return fmt.Sprintf("mailbox still disconnected, purged on %s", day(a.MailboxPurgeAt))
	case a.Mailbox == MailboxActive && (b.Mailbox == MailboxDisconnected || b.Mailbox == MailboxInactive):
		return "mailbox reconnected"
	case a.Mailbox == MailboxActive && b.Mailbox != MailboxActive:
		return "mailbox provisioned"
	case a.Mailbox == MailboxActive:
		return "mailbox kept"
	case a.Mailbox == MailboxInactive && b.Mailbox != MailboxInactive:
		return "mailbox kept as an inactive mailbox while held"
	case a.Mailbox == MailboxInactive:
		return "inactive mailbox kept while held"
	case a.Mailbox == MailboxPurged && b.Mailbox != MailboxPurged:
		return "mailbox purged now"
	case a.Mailbox == MailboxPurged:
		return "mailbox already purged"
	}
	return "no mailbox"
}

func (i *DataImpact) filesText() string {
	b, a := i.Before, i.After
	switch {
	case a.Files == FilesPendingDeletion && i.Held:
		return fmt.Sprintf("files kept while held, deleted from %s once released unless the user is restored", day(a.FilesDeleteAt))
	case a.Files == FilesPendingDeletion && b.Files != FilesPendingDeletion:
		return fmt.Sprintf("files deleted on %s unless the user is restored", day(a.FilesDeleteAt))
	case a.Files == FilesPendingDeletion:
		return fmt.Sprintf("files still deleted on %s", day(a.FilesDeleteAt))
	case a.Files == FilesActive && b.Files == FilesPendingDeletion:
		return "files restored"
	case a.Files == FilesActive && b.Files != FilesActive:
		return "files provisioned"
	case a.Files == FilesActive:
		return "files kept"
	case a.Files == FilesDeleted && b.Files != FilesDeleted:
		return "files deleted now"
	case a.Files == FilesDeleted:
		return "files already deleted"
	}
	return "no files"
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// ImpactSummary counts what a change over many users does to their data.
type ImpactSummary struct {
	Users                 int // users whose data the change touches
	MailboxesProvisioned  int
	MailboxesReconnected  int
	MailboxesDisconnected int // of which Held are kept past their grace period
	MailboxesPurged       int
	Held                  int
	FilesScheduled        int // files to be deleted once their retention passes (of which FilesHeld are kept while held)
	FilesHeld             int
	FilesRestored         int
	NoLongerSearchable    int
	FirstPurge            time.Time // the earliest purge date the change sets, zero if none
}

// Summarize counts the impacts that change something.
func Summarize(impacts []DataImpact) ImpactSummary {
	var s ImpactSummary
	for i := range impacts {
		s.Add(&impacts[i])
	}
	return s
}

// Add counts one more impact if it changes something, so that a summary
// over many users can be made as their impacts stream by, none kept.
func (s *ImpactSummary) Add(im *DataImpact) {
	if !im.Changed() {
		return
	}
	s.Users++
	s.count(im)
}

func (s *ImpactSummary) count(im *DataImpact) {
	b, a := im.Before.Mailbox, im.After.Mailbox
	switch {
	case a == MailboxActive && (b == MailboxDisconnected || b == MailboxInactive):
		s.MailboxesReconnected++
	case a == MailboxActive && b != MailboxActive:
		s.MailboxesProvisioned++
	case a == MailboxDisconnected && b != MailboxDisconnected:
		s.MailboxesDisconnected++
		if im.Held {
			s.Held++
		}
		if s.FirstPurge.IsZero() || im.After.MailboxPurgeAt.Before(s.FirstPurge) {
			s.FirstPurge = im.After.MailboxPurgeAt
		}
	case a == MailboxPurged && b != MailboxPurged:
		s.MailboxesPurged++
	}
	switch {
	case im.After.Files == FilesPendingDeletion && im.Before.Files != FilesPendingDeletion:
		s.FilesScheduled++
		if im.Held {
			s.FilesHeld++
		}
	case im.After.Files == FilesActive && im.Before.Files == FilesPendingDeletion:
		s.FilesRestored++
	}
	if im.SearchableBefore && !im.SearchableAfter {
		s.NoLongerSearchable++
	}
}

// String describes the summary in one line of English.
func (s ImpactSummary) String() string {
	if s.Users == 0 {
		return "no user's data changes"
	}
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(s.MailboxesProvisioned, "mailboxes provisioned")
	add(s.MailboxesReconnected, "mailboxes reconnected")
	if s.MailboxesDisconnected > 0 {
		parts = append(parts, fmt.Sprintf("%d mailboxes disconnected (%d held), first purge on %s", s.MailboxesDisconnected, s.Held, day(s.FirstPurge)))
	}
	add(s.MailboxesPurged, "mailboxes purged")
	add(s.FilesScheduled, "users' files to be deleted after retention")
	add(s.FilesHeld, "users' files kept past it while held")
	add(s.FilesRestored, "users' files restored")
	add(s.NoLongerSearchable, "mailboxes no longer searchable")
	return fmt.Sprintf("%d users: %s", s.Users, strings.Join(parts, "; "))
}
