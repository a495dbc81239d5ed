package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// registerOffboardRoutes registers the offboarding of a former employee
// from a user's pane, when the store offboards.
func (h *Handler) registerOffboardRoutes() {
	if h.svc.Offboard == nil {
		return
	}
	h.mux.Handle("GET /users/{id}/offboard", h.page(h.offboardForm))
	h.mux.Handle("POST /users/{id}/offboard", h.page(h.offboard))
}

// offboardPage is the data of the offboarding form, its preview and its
// result.
type offboardPage struct {
	base
	User           *allot.User
	Hold           bool
	HoldName       string
	Successor      string // as typed: a userPrincipalName
	CanHold        bool   // may place a hold (allot.ActionManageHolds)
	Preview        *allot.OffboardResult
	Done           *allot.OffboardResult
	Impact         []string // what happens to the data, in the page's language
	HoldError      string
	HoldNameError  string
	SuccessorError string
	Error          string
	catalog        *allot.Catalog
}

// offboarder returns the session of a visitor who may offboard (manage
// users and assign licenses, allot.AuthorizeOffboard) and the user named
// by the path.
func (h *Handler) offboarder(r *http.Request) (*session, *allot.User, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, nil, err
	}
	if err := allot.AuthorizeOffboard(s.p, allot.Offboarding{}); err != nil {
		return nil, nil, err
	}
	u, err := h.svc.Users.FindUser(r.Context(), s.p, r.PathValue("id"))
	return s, u, err
}

// newOffboardPage returns the page for u with the form as posted.
func (h *Handler) newOffboardPage(r *http.Request, s *session, u *allot.User) *offboardPage {
	pg := &offboardPage{base: h.base(r, "offboard.title", "users"), User: u, CanHold: s.p.Can(allot.ActionManageHolds), catalog: h.catalog}
	pg.Hold = r.FormValue("hold") == "1"
	pg.HoldName = strings.TrimSpace(r.FormValue("holdName"))
	pg.Successor = strings.TrimSpace(r.FormValue("successor"))
	return pg
}

// offboardForm shows the form: a hold first, a successor.
func (h *Handler) offboardForm(w http.ResponseWriter, r *http.Request) error {
	s, u, err := h.offboarder(r)
	if err != nil {
		return err
	}
	pg := h.newOffboardPage(r, s, u)
	pg.Hold = pg.CanHold
	h.render(w, r, http.StatusOK, "offboard", pg)
	return nil
}

// offboard previews the offboarding (step "preview", a dry run of the
// same operation) or does it (step "run"), all or nothing; a refusal is
// shown beside the field it is about.
func (h *Handler) offboard(w http.ResponseWriter, r *http.Request) error {
	s, u, err := h.offboarder(r)
	if err != nil {
		return err
	}
	pg := h.newOffboardPage(r, s, u)
	o := allot.Offboarding{User: u.ID, Hold: pg.Hold, HoldName: pg.HoldName, Successor: pg.Successor, DryRun: r.PostFormValue("step") != "run"}
	res, err := h.svc.Offboard.Offboard(r.Context(), s.p, o)
	if err != nil {
		return h.refuseOffboard(w, r, pg, err)
	}
	if o.DryRun {
		pg.Preview = res
	} else {
		pg.Done = res
	}
	pg.Impact = h.impactLines(pg.base, res.Impact)
	h.render(w, r, http.StatusOK, "offboard", pg)
	return nil
}

// impactLines says in the page's language what happens to one user's
// data, with the lines of the unassignment's preview (allot.Summarize).
func (h *Handler) impactLines(b base, im allot.DataImpact) []string {
	return b.summaryLines(allot.Summarize([]allot.DataImpact{im}))
}

// refuseOffboard shows the form again with err beside its field; an
// error that is not a refusal goes to the error page.
func (h *Handler) refuseOffboard(w http.ResponseWriter, r *http.Request, pg *offboardPage, err error) error {
	code := allot.ErrorCode(err)
	if code == allot.EINTERNAL || code == allot.EUNAUTHORIZED {
		return err
	}
	var e *allot.Error
	errors.As(err, &e)
	switch {
	case code == allot.EFORBIDDEN && pg.Hold && !pg.CanHold:
		pg.HoldError = pg.T("error.forbidden")
	case code == allot.ENOTFOUND && pg.Successor != "":
		pg.SuccessorError = pg.T("offboard.err.noSuccessor", pg.Successor)
	case code == allot.EINVALID && e != nil && strings.EqualFold(e.Field, "successor"):
		pg.SuccessorError = pg.T("offboard.err.self")
	case code == allot.EINVALID && e != nil && e.Field == "name": // the hold's (allot.CheckHoldName)
		pg.HoldNameError = pg.T("holds.err.name", allot.MaxHoldNameLength)
	default:
		pg.Error = h.errorText(pg.Lang, err, func(string) string { return pg.User.DisplayName })
	}
	h.render(w, r, statusOf(code), "offboard", pg)
	return nil
}

// LicenseNames names the products an offboarding removes or moves.
func (pg *offboardPage) LicenseNames(res *allot.OffboardResult) string {
	var names []string
	for _, l := range res.Licenses {
		names = append(names, pg.SKUName(pg.catalog.SKU(l.SKUID)))
	}
	return strings.Join(names, ", ")
}
