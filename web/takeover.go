package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// moveTargets returns, per SKU, the admin-managed subscriptions that may
// take the users of a self-service one (allot.CheckTakeover decides; this
// only fills the list offered).
func moveTargets(subs []*allot.Subscription) map[string][]*allot.Subscription {
	out := map[string][]*allot.Subscription{}
	for _, s := range subs {
		if !s.SelfService() && s.Status.TakesAssignments() {
			out[s.SKUID] = append(out[s.SKUID], s)
		}
	}
	return out
}

// takeOverProduct takes over a self-service subscription from Your
// products: "adopt" makes it admin-managed; "move" moves its users to the
// admin-managed subscription moveTo of the same product and cancels it. A
// refusal is shown beside its row, and nothing changes.
func (h *Handler) takeOverProduct(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionManageSubscriptions); err != nil {
		return err
	}
	id, lang := r.PathValue("id"), requestOf(r).lang
	var t allot.Takeover
	switch r.PostFormValue("action") {
	case "adopt":
	case "move":
		if t.MoveTo = strings.TrimSpace(r.PostFormValue("moveTo")); t.MoveTo == "" {
			return h.showProducts(w, r, http.StatusBadRequest, id, h.locales.text(lang, "products.takeover.pick"))
		}
	default:
		return pageError(http.StatusBadRequest, "error.badForm")
	}
	if _, err := h.svc.Subscriptions.TakeOverSubscription(r.Context(), s.p, id, t); err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		return h.showProducts(w, r, http.StatusBadRequest, id, h.takeoverErrorText(lang, err, h.userNames(r, s.p)))
	}
	http.Redirect(w, r, "/products", http.StatusSeeOther)
	return nil
}

// takeoverErrorText says in lang why a takeover was refused, from the
// fields allot.CheckTakeover sets; other refusals as errorText says them.
func (h *Handler) takeoverErrorText(lang string, err error, names func(string) string) string {
	var e *allot.Error
	if !errors.As(err, &e) {
		return h.errorText(lang, err, names)
	}
	product := e.SKUID
	if sku := h.catalog.SKU(e.SKUID); sku != nil {
		product = sku.DisplayName.In(lang)
	}
	t := func(key string, args ...any) string { return h.locales.text(lang, key, args...) }
	switch {
	case e.Code == allot.ECOUNTVIOLATION:
		return t("err.takeover.seats", e.Count, product, e.Limit)
	case e.Code == allot.ECONFLICT && e.Field == "ownerType":
		return t("err.takeover.managed", product)
	case e.Code == allot.EINVALID && e.Field == "moveTo":
		return t("err.takeover.product", product)
	case e.Field == "moveTo":
		return t("err.takeover.target", product)
	}
	return h.errorText(lang, err, names)
}
