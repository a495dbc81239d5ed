package web

import (
	"net/http"

	"github.com/allot-project/allot"
)

// impactPage is the data preview of a confirmation: what unassigning does
// to the selected users' mailboxes and files, in the page's language: a
// summary over every user previewed, then one line per user whose data
// changes, the first impactListed of them.
type impactPage struct {
	Lines     []string     // the summary (allot.Summarize)
	Users     []impactUser // the first impactListed users whose data changes
	More      int          // users whose data changes past Users, counted only
	Refused   int          // users the change would refuse; the result says why
	Previewed int          // users previewed, when fewer than selected (over previewLimit)
}

// impactUser is one user's line of a preview: where their mailbox and
// files will stand, in the page's language.
type impactUser struct {
	Name, Mailbox, Files string
}

// impactListed is how many users' lines a preview shows; the others are
// counted.
const impactListed = 20

// previewLimit bounds the users a confirmation previews, so that a
// confirmation of "select all N matching" in a large tenant stays quick;
// past it the preview says how many it covers.
const previewLimit = 5000

// previewUnassign previews what unassigning skuID does to the data of the
// users (at most previewLimit of them) with the store's bulk dry run, the
// one allot license … --dry-run and the API's dryRun use (the same rule
// as the change, allot.NextUserData). Nil when the store keeps no data
// states; a user the dry run refuses is counted, the change itself will
// say why.
func (h *Handler) previewUnassign(r *http.Request, p allot.Principal, b base, skuID string, users []string, selected int) (*impactPage, error) {
	if h.svc.Data == nil || len(users) == 0 {
		return nil, nil
	}
	users = users[:min(len(users), previewLimit)]
	results, err := h.svc.Licenses.AssignLicensesBulk(r.Context(), p, allot.BulkLicenseChange{Users: users,
		Change: allot.LicenseChange{Remove: []string{skuID}}, SkipUnchanged: true, DryRun: true})
	if err != nil {
		return nil, err
	}
	pg := &impactPage{}
	if selected > len(users) {
		pg.Previewed = len(users)
	}
	names := h.userNames(r, p)
	var impacts []allot.DataImpact
	for _, res := range results {
		switch {
		case res.Err != nil:
			pg.Refused++
		case res.Data == nil || !res.Data.Changed():
		case len(pg.Users) < impactListed:
			impacts = append(impacts, *res.Data)
			pg.Users = append(pg.Users, impactUser{Name: names(res.UserID), Mailbox: b.impactMailbox(res.Data), Files: b.impactFiles(res.Data)})
		default:
			impacts = append(impacts, *res.Data)
			pg.More++
		}
	}
	pg.Lines = b.summaryLines(allot.Summarize(impacts))
	return pg, nil
}

// summaryLines says in b's language what a change does to many users'
// data.
func (b base) summaryLines(s allot.ImpactSummary) []string {
	var lines []string
	add := func(n int, key string, args ...any) {
		if n > 0 {
			lines = append(lines, b.N(key, n, args...))
		}
	}
	add(s.MailboxesDisconnected, "impact.disconnected", b.Date(s.FirstPurge))
	add(s.Held, "impact.held")
	add(s.MailboxesPurged, "impact.purged")
	add(s.FilesScheduled, "impact.files")
	add(s.NoLongerSearchable, "impact.searchable")
	if len(lines) == 0 {
		lines = []string{b.T("impact.none")}
	}
	return lines
}

// impactMailbox says where a user's mailbox stands after a change.
func (b base) impactMailbox(im *allot.DataImpact) string {
	a := im.After
	switch {
	case a.Mailbox == allot.MailboxDisconnected && im.Held:
		return b.T("impact.user.held", b.Date(a.MailboxPurgeAt))
	case a.Mailbox == allot.MailboxDisconnected:
		return b.T("data.mailboxUntil", b.Date(a.MailboxPurgeAt))
	}
	return b.T("data.mailbox." + string(a.Mailbox))
}

// impactFiles says where a user's files stand after a change.
func (b base) impactFiles(im *allot.DataImpact) string {
	a := im.After
	switch {
	case a.Files == allot.FilesPendingDeletion && im.Held:
		return b.T("impact.user.filesHeld", b.Date(a.FilesDeleteAt))
	case a.Files == allot.FilesPendingDeletion:
		return b.T("data.filesUntil", b.Date(a.FilesDeleteAt))
	}
	return b.T("data.files." + string(a.Files))
}
