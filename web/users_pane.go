package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/allot-project/allot"
)

// paneProduct is one product of the "Licenses and apps" tab: held or
// not, with its apps, on or switched off.
type paneProduct struct {
	SKU       *allot.SKU
	Held      bool
	Available int
	Apps      []myApp
	Error     string // a refusal about this product, beside it
}

// userPanePage is the data of a user's pane: details, the edit form and
// "Licenses and apps".
type userPanePage struct {
	base
	User      *allot.User
	Products  []paneProduct
	CanManage bool
	Saved     string        // the message key of what was just saved
	Error     string        // a refusal not about one product
	Confirm   bool          // asking to confirm the deletion
	DataPane  *userDataPane // the user's mailbox, files and holds; nil without a data store
}

// userPane shows a user's pane.
func (h *Handler) userPane(w http.ResponseWriter, r *http.Request) error {
	s, err := h.admin(r)
	if err != nil {
		return err
	}
	u, err := h.svc.Users.FindUser(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	pg, err := h.newUserPane(r, s, u)
	if err != nil {
		return err
	}
	if saved := r.URL.Query().Get("saved"); saved == "licenses" || saved == "details" || saved == "restored" {
		pg.Saved = "pane.saved." + saved
	}
	h.render(w, r, http.StatusOK, "user", pg)
	return nil
}

// newUserPane builds a pane for u: every product of the tenant, checked
// when u holds it, with its apps on unless u has them switched off.
func (h *Handler) newUserPane(r *http.Request, s *session, u *allot.User) (*userPanePage, error) {
	pg := &userPanePage{base: h.base(r, "users.title", "users"), User: u, CanManage: s.p.Can(allot.ActionManageUsers)}
	pg.Title = u.DisplayName
	var err error
	if pg.DataPane, err = h.userData(r, s.p, u); err != nil {
		return nil, err
	}
	skus, err := h.svc.Subscriptions.FindSubscribedSKUs(r.Context(), s.p)
	if err != nil {
		return nil, err
	}
	for _, sku := range skus {
		l := u.License(sku.SKU.ID)
		pp := paneProduct{SKU: sku.SKU, Held: l != nil, Available: sku.Available()}
		for _, pl := range sku.SKU.Plans {
			pp.Apps = append(pp.Apps, myApp{Plan: pl, On: l == nil || l.PlanEnabled(sku.SKU, pl.ID)})
		}
		pg.Products = append(pg.Products, pp)
	}
	return pg, nil
}

// saveLicenses applies the "Licenses and apps" tab in one assignLicense:
// products checked and not held are added, held and unchecked removed, and
// a held product whose apps changed is added again with its new disabled
// plans. A refusal is shown beside its product, and nothing changes.
func (h *Handler) saveLicenses(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionAssignLicenses); err != nil {
		return err
	}
	u, err := h.svc.Users.FindUser(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	pg, err := h.newUserPane(r, s, u)
	if err != nil {
		return err
	}
	ch := pg.applyForm(r)
	if len(ch.Add) == 0 && len(ch.Remove) == 0 {
		http.Redirect(w, r, "/users/"+u.ID+"?saved=licenses", http.StatusSeeOther)
		return nil
	}
	if _, err := h.svc.Licenses.AssignLicenses(r.Context(), s.p, u.ID, ch); err != nil {
		return h.refusePane(w, r, pg, err)
	}
	http.Redirect(w, r, "/users/"+u.ID+"?saved=licenses", http.StatusSeeOther)
	return nil
}

// applyForm sets the pane's checkboxes from the posted form, so a refused
// form is shown as it was sent, and returns the change it asks for.
func (pg *userPanePage) applyForm(r *http.Request) allot.LicenseChange {
	var ch allot.LicenseChange
	want := r.PostForm["sku"]
	for i := range pg.Products {
		pp := &pg.Products[i]
		held := pp.Held
		pp.Held = slices.Contains(want, pp.SKU.ID)
		on := r.PostForm["plan-"+pp.SKU.ID]
		var disabled []string
		for j := range pp.Apps {
			pp.Apps[j].On = slices.Contains(on, pp.Apps[j].Plan.ID)
			if !pp.Apps[j].On {
				disabled = append(disabled, pp.Apps[j].Plan.ID)
			}
		}
		switch {
		case pp.Held && (!held || !samePlans(pg.User.License(pp.SKU.ID).DisabledPlans, disabled)):
			ch.Add = append(ch.Add, allot.AssignedLicense{SKUID: pp.SKU.ID, DisabledPlans: disabled})
		case !pp.Held && held:
			ch.Remove = append(ch.Remove, pp.SKU.ID)
		}
	}
	return ch
}

// samePlans reports whether two sets of plan ids are equal.
func samePlans(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}

// refusePane shows the pane again with err beside the product it is
// about, or above the tab; an error that is not a refusal goes to the
// error page.
func (h *Handler) refusePane(w http.ResponseWriter, r *http.Request, pg *userPanePage, err error) error {
	code := allot.ErrorCode(err)
	if code == allot.EINTERNAL || code == allot.EUNAUTHORIZED {
		return err
	}
	names := func(string) string { return pg.User.DisplayName }
	msg := h.errorText(pg.Lang, err, names)
	var e *allot.Error
	errors.As(err, &e)
	placed := false
	for i := range pg.Products {
		if e != nil && e.SKUID != "" && pg.Products[i].SKU.ID == e.SKUID {
			pg.Products[i].Error, placed = msg, true
		}
	}
	if !placed {
		pg.Error = msg
	}
	h.render(w, r, statusOf(code), "user", pg)
	return nil
}

// statusOf is the HTTP status of a refusal shown on its page.
func statusOf(code string) int {
	switch code {
	case allot.EFORBIDDEN:
		return http.StatusForbidden
	case allot.ENOTFOUND:
		return http.StatusNotFound
	case allot.ECONFLICT:
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}
