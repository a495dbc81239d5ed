package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// registerProductRoutes registers Billing > Your products and its actions,
// and Billing > Self-service purchases (policy.go).
func (h *Handler) registerProductRoutes() {
	h.mux.Handle("GET /products", h.page(h.products))
	h.mux.Handle("POST /products/{id}", h.page(h.changeProduct))
	h.mux.Handle("POST /products/{id}/takeover", h.page(h.takeOverProduct))
	h.mux.Handle("POST /products/buy", h.page(h.buy))
	h.mux.Handle("POST /products/reclaim", h.page(h.reclaim))
	h.mux.Handle("GET /products/policies", h.page(h.policies))
	h.mux.Handle("POST /products/policies", h.page(h.setPolicy))
}

// productRow is one subscription of Your products.
type productRow struct {
	Sub       *allot.Subscription
	SKU       *allot.SKU
	Assigned  int  // licenses drawn from its pool
	Shared    bool // its pool is the product's admin pool, shared with other subscriptions
	Purchaser string
	Error     string // why the last change of this row was refused
	// What an administrator may do now (allot.PlanSubscriptionUpdate
	// decides; these only choose the buttons shown).
	CanCancel, CanRenew, CanExtend, CanTurnOn bool
	// MoveTargets are the admin-managed subscriptions of the product that
	// may take the users of this self-service one, for its takeover.
	MoveTargets []*allot.Subscription
}

// productsPage is the data of Your products.
type productsPage struct {
	base
	Rows    []productRow
	Buy     buyForm     // Buy licenses, for those who may
	Reclaim reclaimForm // Reclaim unused licenses, for those who may
}

// products lists one row per subscription: product, status, licenses,
// assigned from it, term end, recurring billing, purchaser.
func (h *Handler) products(w http.ResponseWriter, r *http.Request) error {
	return h.showProducts(w, r, http.StatusOK, "", "")
}

// showProducts renders Your products with a refusal beside the row of
// subscription failedID.
func (h *Handler) showProducts(w http.ResponseWriter, r *http.Request, status int, failedID, msg string) error {
	return h.showProductsWith(w, r, status, failedID, msg, nil)
}

// showProductsWith renders Your products with a refusal beside the row of
// subscription failedID; edit, if not nil, then sets the forms (Buy
// licenses, Reclaim) as they were posted, with their refusals.
func (h *Handler) showProductsWith(w http.ResponseWriter, r *http.Request, status int, failedID, msg string, edit func(*productsPage)) error {
	s, err := h.admin(r)
	if err != nil {
		return err
	}
	subs, err := h.svc.Subscriptions.FindSubscriptions(r.Context(), s.p)
	if err != nil {
		return err
	}
	skus, err := h.svc.Subscriptions.FindSubscribedSKUs(r.Context(), s.p)
	if err != nil {
		return err
	}
	pools := map[string]allot.SeatPool{}
	for _, sku := range skus {
		for _, sp := range sku.Pools {
			pools[sku.SKU.ID+"/"+sp.SubscriptionID] = sp
		}
	}
	pg := &productsPage{base: h.base(r, "products.title", "products"), Buy: h.newBuyForm(requestOf(r).lang)}
	pg.Reclaim.SKUs = h.reclaimable(skus, pg.Lang)
	names := h.userNames(r, s.p)
	adminSubs := map[string]int{} // admin-managed subscriptions per SKU, sharing one pool
	for _, sub := range subs {
		if !sub.SelfService() && sub.Status != allot.StatusDeleted {
			adminSubs[sub.SKUID]++
		}
	}
	targets := moveTargets(subs)
	for _, sub := range subs {
		sku := h.catalog.SKU(sub.SKUID)
		if sku == nil || sub.Status == allot.StatusDeleted {
			continue
		}
		row := productRow{Sub: sub, SKU: sku, Assigned: pools[sub.SKUID+"/"+sub.Pool()].Consumed, Shared: adminSubs[sub.SKUID] > 1 && !sub.SelfService()}
		if sub.SelfService() {
			row.Purchaser, row.MoveTargets = names(sub.PurchasedBy), targets[sub.SKUID]
		}
		row.actions(h.catalog, s.p, h.now())
		if sub.ID == failedID {
			row.Error = msg
		}
		pg.Rows = append(pg.Rows, row)
	}
	if edit != nil {
		edit(pg)
	}
	pg.Buy.Action = "/products/buy"
	h.render(w, r, status, "products", pg)
	return nil
}

// actions shows the buttons of the changes allot.PlanSubscriptionUpdate
// lets p make at now, so that no button leads to a refusal of its state.
// Renew is offered where it does more than turn recurring billing on:
// converting a trial or bringing back an expired subscription.
func (row *productRow) actions(c *allot.Catalog, p allot.Principal, now time.Time) {
	allows := func(upd allot.SubscriptionUpdate) bool {
		s := *row.Sub // the rule changes what it is given
		return allot.PlanSubscriptionUpdate(c, p, &s, upd, now) == nil
	}
	deleted, enabled, on := allot.StatusDeleted, allot.StatusEnabled, true
	row.CanCancel = allows(allot.SubscriptionUpdate{Status: &deleted})
	row.CanRenew = (row.Sub.IsTrial || row.Sub.Status != allot.StatusEnabled) && allows(allot.SubscriptionUpdate{Status: &enabled})
	row.CanExtend = allows(allot.SubscriptionUpdate{ExtendTrial: true})
	row.CanTurnOn = allows(allot.SubscriptionUpdate{RecurringBilling: &on})
}

// TermEnd returns when the subscription's current term ends: its
// commitment end, else its next lifecycle step; zero if unknown.
func (row productRow) TermEnd() time.Time {
	if !row.Sub.CommitmentEndAt.IsZero() {
		return row.Sub.CommitmentEndAt
	}
	return row.Sub.NextLifecycleAt
}

// StatusText names a subscription status in the page's language.
func (b base) StatusText(st allot.SubscriptionStatus) string { return b.T("status." + string(st)) }

// changeProduct changes a subscription's quantity or recurring billing;
// a refusal is shown beside its row, and nothing changes.
func (h *Handler) changeProduct(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionManageSubscriptions); err != nil {
		return err
	}
	id := r.PathValue("id")
	var upd allot.SubscriptionUpdate
	switch r.PostFormValue("action") {
	case "quantity":
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("quantity")))
		if err != nil {
			return h.showProducts(w, r, http.StatusBadRequest, id, h.locales.text(requestOf(r).lang, "products.badQuantity"))
		}
		upd.Quantity = &n
	case "billing":
		on := r.PostFormValue("recurring") == "on"
		upd.RecurringBilling = &on
	case "cancel", "renew":
		st := map[string]allot.SubscriptionStatus{"cancel": allot.StatusDeleted, "renew": allot.StatusEnabled}[r.PostFormValue("action")]
		upd.Status = &st
	case "extend":
		upd.ExtendTrial = true
	default:
		return pageError(http.StatusBadRequest, "error.badForm")
	}
	if _, err := h.svc.Subscriptions.UpdateSubscription(r.Context(), s.p, id, upd); err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		return h.showProducts(w, r, http.StatusBadRequest, id, h.errorText(requestOf(r).lang, err, h.userNames(r, s.p)))
	}
	http.Redirect(w, r, "/products", http.StatusSeeOther)
	return nil
}
