package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/allot-project/allot"
)

// buyForm is the "Buy licenses" form: what was entered and, after a
// refusal, why, in the page's language.
type buyForm struct {
	Action   string       // where it posts: /products/buy or /my/buy
	SKUs     []*allot.SKU // the catalog's products, by name
	SKU      string
	Quantity string
	Term     string
	Trial    bool
	Error    string
	Field    string // the control the refusal is about
}

// buyPage is the data of a purchase's confirmation: what it buys, as the
// service's dry run answered.
type buyPage struct {
	base
	Action string // where the form posts: /products/buy or /my/buy
	Back   string
	Form   buyForm
	Sub    *allot.Subscription
	SKU    *allot.SKU
	Self   bool // a self-service purchase
}

// newBuyForm returns the empty form over the catalog's products.
func (h *Handler) newBuyForm(lang string) buyForm {
	skus := slices.Clone(h.catalog.SKUs)
	slices.SortFunc(skus, func(a, b *allot.SKU) int { return strings.Compare(a.DisplayName.In(lang), b.DisplayName.In(lang)) })
	return buyForm{SKUs: skus, Quantity: "1", Term: allot.TermMonth}
}

// readBuyForm reads the posted purchase into the form and the order.
func (h *Handler) readBuyForm(r *http.Request) (buyForm, allot.SubscriptionPurchase) {
	f := h.newBuyForm(requestOf(r).lang)
	f.SKU, f.Quantity = r.PostFormValue("sku"), strings.TrimSpace(r.PostFormValue("quantity"))
	f.Term, f.Trial = r.PostFormValue("term"), r.PostFormValue("trial") == "on"
	n, _ := strconv.Atoi(f.Quantity) // not a number: 0, refused as a quantity
	return f, allot.SubscriptionPurchase{SKU: f.SKU, Quantity: n, Term: f.Term, Trial: f.Trial, DryRun: r.PostFormValue("step") != "run"}
}

// buy buys a subscription for the organization from Your products: first
// the dry run's confirmation, then the purchase; a refusal is shown
// beside the form, and nothing is bought.
func (h *Handler) buy(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionManageSubscriptions); err != nil {
		return err
	}
	f, pu := h.readBuyForm(r)
	sub, err := h.svc.Subscriptions.BuySubscription(r.Context(), s.p, pu)
	if err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		f.Error, f.Field = h.buyErrorText(requestOf(r).lang, err)
		return h.showProductsWith(w, r, refusalStatus(err), "", "", func(pg *productsPage) { pg.Buy = f })
	}
	if pu.DryRun {
		return h.confirmBuy(w, r, f, sub, false)
	}
	http.Redirect(w, r, "/products#sub-"+sub.ID, http.StatusSeeOther)
	return nil
}

// buySelf buys a self-service subscription for the signed-in user from
// My licenses, where the organization's policy allows it.
func (h *Handler) buySelf(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if h.svc.SelfService == nil {
		return &allot.Error{Code: allot.ENOTFOUND, Message: "No self-service purchases here."}
	}
	f, pu := h.readBuyForm(r)
	sub, err := h.svc.SelfService.BuySelfService(r.Context(), s.p, pu)
	if err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		f.Error, f.Field = h.buyErrorText(requestOf(r).lang, err)
		return h.showMy(w, r, refusalStatus(err), f)
	}
	if pu.DryRun {
		return h.confirmBuy(w, r, f, sub, true)
	}
	http.Redirect(w, r, "/my?bought="+sub.SKUID, http.StatusSeeOther)
	return nil
}

// confirmBuy shows what a purchase buys before it is made.
func (h *Handler) confirmBuy(w http.ResponseWriter, r *http.Request, f buyForm, sub *allot.Subscription, self bool) error {
	pg := &buyPage{base: h.base(r, "buy.confirmTitle", "products"), Action: "/products/buy", Back: "/products", Form: f, Sub: sub, SKU: h.catalog.SKU(sub.SKUID), Self: self}
	if self {
		pg.Nav, pg.Action, pg.Back = "my", "/my/buy", "/my"
	}
	h.render(w, r, http.StatusOK, "buy", pg)
	return nil
}

// refusalStatus is the status of a page showing a refusal beside a form.
func refusalStatus(err error) int {
	if allot.ErrorCode(err) == allot.EFORBIDDEN {
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// buyErrorText says in lang why a purchase was refused, and which control
// it is about.
func (h *Handler) buyErrorText(lang string, err error) (msg, field string) {
	var e *allot.Error
	if !errors.As(err, &e) {
		return h.errorText(lang, err, nil), ""
	}
	product := e.SKUID
	if sku := h.catalog.SKU(e.SKUID); sku != nil {
		product = sku.DisplayName.In(lang)
	}
	t := func(key string, args ...any) string { return h.locales.text(lang, key, args...) }
	switch {
	case e.Code == allot.EINVALID && e.Field == "skuId":
		return t("buy.badProduct"), "sku"
	case e.Code == allot.EINVALID && e.Field == "quantity":
		return t("buy.badQuantity", formatInt(lang, allot.MaxQuantity)), "quantity"
	case e.Code == allot.EINVALID && e.Field == "termDuration":
		return t("buy.badTerm"), "term"
	case e.Code == allot.EFORBIDDEN && e.Field == "isTrial":
		return t("buy.trialsOnly", product), "trial"
	case e.Code == allot.EFORBIDDEN && e.SKUID != "":
		return t("buy.denied", product), "sku"
	}
	return h.errorText(lang, err, nil), ""
}

// TermName names a term (P1M, P1Y) in the page's language.
func (b base) TermName(term string) string {
	if term == allot.TermYear {
		return b.T("buy.year")
	}
	return b.T("buy.month")
}

// Invalid reports whether the form's refusal is about control field.
func (f buyForm) Invalid(field string) bool { return f.Error != "" && f.Field == field }
