package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// reclaimForm is the Reclaim unused licenses form of Your products.
type reclaimForm struct {
	SKUs  []*allot.SKU // the products with an admin-managed pool, by name
	SKU   string
	Error string
}

// reclaimPage is the data of a reclaim's preview (the plan) and of its
// result (the plan applied).
type reclaimPage struct {
	base
	Plan    *allot.Reclaim
	SKU     *allot.SKU
	Changes []reclaimChange
}

// reclaimChange is one subscription reduced, with when it was bought.
type reclaimChange struct {
	allot.ReclaimChange
	Bought time.Time
}

// reclaimable returns the products of skus that have an admin-managed
// pool, by name in lang: the products a reclaim may reduce.
func (h *Handler) reclaimable(skus []*allot.SubscribedSKU, lang string) []*allot.SKU {
	var out []*allot.SKU
	for _, s := range skus {
		if s.SKU != nil && len(s.Pools) > 0 && s.Pools[0].SubscriptionID == "" {
			out = append(out, s.SKU)
		}
	}
	slices.SortFunc(out, func(a, b *allot.SKU) int { return strings.Compare(a.DisplayName.In(lang), b.DisplayName.In(lang)) })
	return out
}

// reclaim previews, then applies the reclaim of a product's unused
// licenses (allot.PlanReclaim): how many, from which subscriptions, unused
// since when. A refusal is shown beside the form of Your products.
func (h *Handler) reclaim(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionManageSubscriptions); err != nil {
		return err
	}
	sku := strings.TrimSpace(r.PostFormValue("sku"))
	plan, err := h.svc.Subscriptions.ReclaimLicenses(r.Context(), s.p, sku, r.PostFormValue("step") != "run")
	if err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		msg := h.locales.text(requestOf(r).lang, "reclaim.notHeld")
		return h.showProductsWith(w, r, http.StatusBadRequest, "", "", func(pg *productsPage) { pg.Reclaim.SKU, pg.Reclaim.Error = sku, msg })
	}
	pg := &reclaimPage{base: h.base(r, "reclaim.title", "products"), Plan: plan, SKU: h.catalog.SKU(plan.SKUID)}
	subs, err := h.svc.Subscriptions.FindSubscriptions(r.Context(), s.p)
	if err != nil {
		return err
	}
	bought := map[string]time.Time{}
	for _, sub := range subs {
		bought[sub.ID] = sub.CreatedAt
	}
	for _, c := range plan.Changes {
		pg.Changes = append(pg.Changes, reclaimChange{ReclaimChange: c, Bought: bought[c.SubscriptionID]})
	}
	h.render(w, r, http.StatusOK, "reclaim", pg)
	return nil
}
