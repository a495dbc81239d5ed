package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

// policyRow is one catalog product and its self-service policy.
type policyRow struct {
	SKU    *allot.SKU
	Policy allot.SelfServicePolicy
	Error  string // why the last change of this row was refused
}

// policiesPage is the data of Self-service purchases.
type policiesPage struct {
	base
	Rows     []policyRow
	Policies []allot.SelfServicePolicy // the choices, in order
}

// policies lists every catalog product with its self-service policy;
// Billing and Global Administrators change them.
func (h *Handler) policies(w http.ResponseWriter, r *http.Request) error {
	return h.showPolicies(w, r, http.StatusOK, "", "")
}

// showPolicies renders Self-service purchases with a refusal beside the
// row of product failedSKU.
func (h *Handler) showPolicies(w http.ResponseWriter, r *http.Request, status int, failedSKU, msg string) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if h.svc.SelfService == nil {
		return &allot.Error{Code: allot.ENOTFOUND, Message: "No self-service policies here."}
	}
	pols, err := h.svc.SelfService.FindSelfServicePolicies(r.Context(), s.p)
	if err != nil {
		return err
	}
	pg := &policiesPage{base: h.base(r, "policy.title", "policies"), Policies: []allot.SelfServicePolicy{allot.PolicyAllowed, allot.PolicyTrials, allot.PolicyDenied}}
	for _, pp := range pols {
		sku := h.catalog.SKU(pp.SKUID)
		if sku == nil {
			continue
		}
		row := policyRow{SKU: sku, Policy: pp.Policy}
		if strings.EqualFold(sku.ID, failedSKU) {
			row.Error = msg
		}
		pg.Rows = append(pg.Rows, row)
	}
	slices.SortFunc(pg.Rows, func(a, b policyRow) int {
		return strings.Compare(a.SKU.DisplayName.In(pg.Lang), b.SKU.DisplayName.In(pg.Lang))
	})
	h.render(w, r, status, "policies", pg)
	return nil
}

// setPolicy changes a product's self-service policy; a refusal is shown
// beside its row, and nothing changes.
func (h *Handler) setPolicy(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionManageSubscriptions); err != nil {
		return err
	}
	if h.svc.SelfService == nil {
		return &allot.Error{Code: allot.ENOTFOUND, Message: "No self-service policies here."}
	}
	sku, lang := r.PostFormValue("sku"), requestOf(r).lang
	pol, err := allot.ParseSelfServicePolicy(r.PostFormValue("policy"))
	if err == nil {
		_, err = h.svc.SelfService.SetSelfServicePolicy(r.Context(), s.p, sku, pol, false)
	}
	switch {
	case allot.ErrorCode(err) == allot.EINTERNAL:
		return err
	case err != nil && allot.ErrorCode(err) == allot.EINVALID && h.catalog.SKU(sku) == nil:
		return pageError(http.StatusNotFound, "error.notFound")
	case err != nil:
		return h.showPolicies(w, r, http.StatusBadRequest, sku, h.locales.text(lang, "policy.bad"))
	}
	http.Redirect(w, r, "/products/policies#p-"+sku, http.StatusSeeOther)
	return nil
}

// PolicyName names a self-service policy in the page's language.
func (b base) PolicyName(p allot.SelfServicePolicy) string { return b.T("policy." + string(p)) }
