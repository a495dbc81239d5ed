package web

import (
	"net/http"
	"slices"

	"github.com/allot-project/allot"
)

// The modes of "Manage product licenses" for several users.
const (
	modeAdd     = "add"     // assign more products, keeping the others
	modeReplace = "replace" // hold exactly the products chosen
	modeRemove  = "remove"  // unassign every product
)

// manageChoice is one product offered by "Manage product licenses".
type manageChoice struct {
	SKU     *allot.SKU
	Checked bool
}

// managePage is the data of "Manage product licenses": the choice, the
// preview of what it does to each user, then the result.
type managePage struct {
	base
	Step      string   // "choose", "preview" or "done"
	IDs       []string // the users selected
	Names     []string // their names, the first maxListed
	Mode      string
	Modes     []string // every mode, for the choice
	Products  []manageChoice
	Done      int // users changed (or that would be, in the preview)
	Unchanged int
	Refused   []refusal
	More      int
	Error     string
}

// manageLicenses walks several users through "Manage product licenses":
// choose (assign more, replace, or unassign all), preview (a dry run that
// says per user what would happen), save, then "Done".
func (h *Handler) manageLicenses(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionAssignLicenses); err != nil {
		return err
	}
	pg := &managePage{base: h.base(r, "manage.title", "users"), IDs: r.PostForm["user"], Mode: r.PostFormValue("mode"), Step: "choose",
		Modes: []string{modeAdd, modeReplace, modeRemove}}
	if len(pg.IDs) == 0 {
		return pageError(http.StatusBadRequest, "unassign.none")
	}
	if len(pg.IDs) > allot.MaxPage {
		return pageError(http.StatusBadRequest, "manage.tooMany")
	}
	names := h.userNames(r, s.p)
	for _, id := range pg.IDs[:min(len(pg.IDs), maxListed)] {
		pg.Names = append(pg.Names, names(id))
	}
	ch, err := h.manageChange(r, s.p, pg)
	if err != nil {
		return err
	}
	step := r.PostFormValue("step")
	if step == "choose" || (step != "preview" && step != "run") || pg.Error != "" {
		h.render(w, r, http.StatusOK, "usersmanage", pg)
		return nil
	}
	b := allot.BulkLicenseChange{Users: pg.IDs, Change: ch, SkipUnchanged: true, DryRun: step == "preview"}
	results, err := h.svc.Licenses.AssignLicensesBulk(r.Context(), s.p, b)
	if err != nil {
		return err
	}
	rp := &resultPage{base: pg.base}
	rp.count(results, names, h.errorText)
	pg.Done, pg.Unchanged, pg.Refused, pg.More = rp.Done, rp.Unchanged, rp.Refused, rp.More
	pg.Step = map[string]string{"preview": "preview", "run": "done"}[step]
	h.render(w, r, http.StatusOK, "usersmanage", pg)
	return nil
}

// manageChange offers the tenant's products, checked as posted, and
// returns the change the chosen mode makes; a mode needing products
// without any sets pg.Error.
func (h *Handler) manageChange(r *http.Request, p allot.Principal, pg *managePage) (allot.LicenseChange, error) {
	skus, err := h.svc.Subscriptions.FindSubscribedSKUs(r.Context(), p)
	if err != nil {
		return allot.LicenseChange{}, err
	}
	var ch allot.LicenseChange
	chosen := r.PostForm["sku"]
	for _, sku := range skus {
		c := manageChoice{SKU: sku.SKU, Checked: slices.Contains(chosen, sku.SKU.ID)}
		pg.Products = append(pg.Products, c)
		switch {
		case pg.Mode == modeRemove, pg.Mode == modeReplace && !c.Checked:
			ch.Remove = append(ch.Remove, sku.SKU.ID)
		case c.Checked:
			ch.Add = append(ch.Add, allot.AssignedLicense{SKUID: sku.SKU.ID})
		}
	}
	switch {
	case pg.Mode != modeAdd && pg.Mode != modeReplace && pg.Mode != modeRemove:
		pg.Mode = modeAdd
		if r.PostFormValue("step") != "choose" {
			pg.Error = pg.T("manage.noMode")
		}
	case pg.Mode != modeRemove && len(ch.Add) == 0:
		pg.Error = pg.T("manage.noProduct")
	}
	return ch, nil
}
