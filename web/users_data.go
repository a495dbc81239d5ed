package web

import (
	"net/http"

	"github.com/allot-project/allot"
)

// userDataPane is the "Data" section of a user's pane: the state of the
// user's mailbox and files (allot.DataService.FindUserData) and, for a
// visitor who manages holds, the holds on the user.
type userDataPane struct {
	Data        *allot.UserData
	Holds       []*allot.Hold
	CanHolds    bool // the holds were read (allot.ActionManageHolds)
	CanOffboard bool // may offboard the user (allot.AuthorizeOffboard)
}

// Mailbox says in the page's language where the user's mailbox stands:
// active, disconnected until its purge, inactive (held), purged or none.
func (pg *userPanePage) Mailbox() string {
	d := pg.DataPane.Data
	if d.Mailbox == allot.MailboxDisconnected {
		return pg.T("data.mailboxUntil", pg.Date(d.MailboxPurgeAt))
	}
	return pg.T("data.mailbox." + string(d.Mailbox))
}

// Files says in the page's language where the user's files stand: kept,
// deleted on a date, deleted or none.
func (pg *userPanePage) Files() string {
	d := pg.DataPane.Data
	if d.Files == allot.FilesPendingDeletion {
		return pg.T("data.filesUntil", pg.Date(d.FilesDeleteAt))
	}
	return pg.T("data.files." + string(d.Files))
}

// userData reads the Data section of u's pane; nil when the store keeps
// no data states.
func (h *Handler) userData(r *http.Request, p allot.Principal, u *allot.User) (*userDataPane, error) {
	if h.svc.Data == nil {
		return nil, nil
	}
	d, err := h.svc.Data.FindUserData(r.Context(), p, u.ID)
	if err != nil {
		return nil, err
	}
	dp := &userDataPane{Data: d, CanOffboard: h.svc.Offboard != nil && allot.AuthorizeOffboard(p, allot.Offboarding{}) == nil}
	if h.svc.Holds != nil && p.Can(allot.ActionManageHolds) {
		dp.CanHolds = true
		if dp.Holds, err = h.svc.Holds.FindHolds(r.Context(), p, allot.HoldFilter{User: u.ID}); err != nil {
			return nil, err
		}
	}
	return dp, nil
}
