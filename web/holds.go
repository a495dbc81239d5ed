package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/allot-project/allot"
)

// registerHoldRoutes registers the Holds page (litigation holds, content
// search and the tenant's file retention) when the store keeps holds.
func (h *Handler) registerHoldRoutes() {
	if h.svc.Holds == nil {
		return
	}
	h.mux.Handle("GET /holds", h.page(h.holds))
	h.mux.Handle("POST /holds", h.page(h.placeHold))
	h.mux.Handle("POST /holds/{id}/release", h.page(h.releaseHold))
	h.mux.Handle("POST /holds/retention", h.page(h.setRetention))
	h.mux.Handle("GET /holds/candidates", h.page(h.holdCandidates))
}

// holdsPage is the data of the Holds page.
type holdsPage struct {
	base
	Holds          []*allot.Hold
	Released       bool                       // released holds listed too
	Mailboxes      []*allot.SearchableMailbox // one page, in user id order
	FirstMailboxes bool                       // the mailboxes' first page
	NextMailboxes  string                     // keyset cursor of their next page, "" on the last
	Retention      string                     // the file retention in days, as typed when refused
	HasRetention   bool                       // the store keeps a file retention (Services.Data)
	User, HoldName string                     // the place-a-hold form, as typed when refused (Name is base's: the visitor)
	UserError      string                     // a refusal beside the user field
	NameError      string                     // a refusal beside the name field
	RetError       string                     // a refusal beside the retention field
	Confirm        *allot.Hold
	Saved          string // the message key of what was just done
	Error          string // a refusal not about one field
}

// holder returns the session of a visitor who may manage holds (Global
// Administrators, allot.ActionManageHolds).
func (h *Handler) holder(r *http.Request) (*session, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, err
	}
	if err := allot.Authorize(s.p, allot.ActionManageHolds); err != nil {
		return nil, err
	}
	return s, nil
}

// holds shows the holds, the searchable mailboxes and the file retention.
func (h *Handler) holds(w http.ResponseWriter, r *http.Request) error {
	s, err := h.holder(r)
	if err != nil {
		return err
	}
	pg := &holdsPage{base: h.base(r, "holds.title", "holds"), Released: r.URL.Query().Get("released") == "1"}
	switch saved := r.URL.Query().Get("saved"); saved {
	case "placed", "released", "retention":
		pg.Saved = "holds.saved." + saved
	}
	if err := h.fillHolds(r, s, pg); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "holds", pg)
	return nil
}

// fillHolds reads what the page lists; the retention keeps a value the
// form sent back.
func (h *Handler) fillHolds(r *http.Request, s *session, pg *holdsPage) error {
	var err error
	if pg.Holds, err = h.svc.Holds.FindHolds(r.Context(), s.p, allot.HoldFilter{IncludeReleased: pg.Released}); err != nil {
		return err
	}
	after := r.URL.Query().Get("after")
	pg.FirstMailboxes = after == ""
	var more bool
	if pg.Mailboxes, more, err = h.svc.Holds.FindSearchableMailboxes(r.Context(), s.p, allot.MailboxFilter{After: after, Limit: pageSize}); err != nil {
		return err
	}
	if more && len(pg.Mailboxes) > 0 {
		pg.NextMailboxes = pg.Mailboxes[len(pg.Mailboxes)-1].UserID
	}
	if h.svc.Data == nil {
		return nil
	}
	pg.HasRetention = true
	if pg.Retention == "" {
		days, err := h.svc.Data.FileRetentionDays(r.Context(), s.p)
		if err != nil {
			return err
		}
		pg.Retention = strconv.Itoa(days)
	}
	return nil
}

// placeHold places a hold on the user the form names; a refusal is shown
// beside the field it is about.
func (h *Handler) placeHold(w http.ResponseWriter, r *http.Request) error {
	s, err := h.holder(r)
	if err != nil {
		return err
	}
	pg := &holdsPage{base: h.base(r, "holds.title", "holds")}
	pg.User, pg.HoldName = strings.TrimSpace(r.PostFormValue("user")), strings.TrimSpace(r.PostFormValue("name"))
	hold := &allot.Hold{UserID: pg.User, Name: pg.HoldName}
	if err := h.svc.Holds.CreateHold(r.Context(), s.p, hold); err != nil {
		var e *allot.Error
		switch {
		case allot.ErrorCode(err) == allot.ENOTFOUND:
			pg.UserError = pg.T("holds.err.noUser", pg.User)
		case errors.As(err, &e) && e.Code == allot.EINVALID && e.Field == "user":
			pg.UserError = pg.T("holds.err.user")
		case errors.As(err, &e) && e.Code == allot.EINVALID && e.Field == "name":
			pg.NameError = pg.T("holds.err.name", allot.MaxHoldNameLength)
		default:
			return err
		}
		return h.refuseHolds(w, r, s, pg, err)
	}
	http.Redirect(w, r, "/holds?saved=placed", http.StatusSeeOther)
	return nil
}

// releaseHold asks to confirm a release (step "confirm"), then releases
// the hold (step "run").
func (h *Handler) releaseHold(w http.ResponseWriter, r *http.Request) error {
	s, err := h.holder(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if r.PostFormValue("step") != "run" {
		pg := &holdsPage{base: h.base(r, "holds.title", "holds")}
		if err := h.fillHolds(r, s, pg); err != nil {
			return err
		}
		for _, hd := range pg.Holds {
			if hd.ID == id {
				pg.Confirm = hd
			}
		}
		if pg.Confirm == nil {
			return &allot.Error{Code: allot.ENOTFOUND, Message: "No such hold."}
		}
		h.render(w, r, http.StatusOK, "holds", pg)
		return nil
	}
	if _, err := h.svc.Holds.ReleaseHold(r.Context(), s.p, id); err != nil {
		if allot.ErrorCode(err) != allot.ECONFLICT {
			return err
		}
		pg := &holdsPage{base: h.base(r, "holds.title", "holds")}
		pg.Error = pg.T("holds.err.released")
		return h.refuseHolds(w, r, s, pg, err)
	}
	http.Redirect(w, r, "/holds?saved=released", http.StatusSeeOther)
	return nil
}

// setRetention sets the tenant's file retention; a number out of 30 to
// 3,650 days is refused beside the field.
func (h *Handler) setRetention(w http.ResponseWriter, r *http.Request) error {
	s, err := h.holder(r)
	if err != nil {
		return err
	}
	if h.svc.Data == nil {
		return &allot.Error{Code: allot.ENOTFOUND, Message: "No file retention."}
	}
	pg := &holdsPage{base: h.base(r, "holds.title", "holds")}
	pg.Retention = strings.TrimSpace(r.PostFormValue("days"))
	days, convErr := strconv.Atoi(pg.Retention)
	if convErr != nil {
		err = allot.ValidateFileRetention(-1)
	} else {
		err = h.svc.Data.SetFileRetentionDays(r.Context(), s.p, days)
	}
	if err != nil {
		if allot.ErrorCode(err) != allot.EINVALID {
			return err
		}
		pg.RetError = pg.T("holds.err.retention", pg.Num(allot.MinFileRetentionDays), pg.Num(allot.MaxFileRetentionDays))
		return h.refuseHolds(w, r, s, pg, err)
	}
	http.Redirect(w, r, "/holds?saved=retention", http.StatusSeeOther)
	return nil
}

// refuseHolds shows the Holds page again with the refusal pg carries.
func (h *Handler) refuseHolds(w http.ResponseWriter, r *http.Request, s *session, pg *holdsPage, err error) error {
	if ferr := h.fillHolds(r, s, pg); ferr != nil {
		return ferr
	}
	h.render(w, r, statusOf(allot.ErrorCode(err)), "holds", pg)
	return nil
}

// holdCandidates answers the hold form's user picker, like the assign
// picker's (candidates), for a visitor who may manage holds.
func (h *Handler) holdCandidates(w http.ResponseWriter, r *http.Request) error {
	s, err := h.holder(r)
	if err != nil {
		return err
	}
	return h.writeCandidates(w, r, s.p)
}
