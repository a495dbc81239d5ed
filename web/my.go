package web

import (
	"net/http"

	"github.com/allot-project/allot"
)

// registerMyRoutes registers My licenses, the page of every signed-in
// user.
func (h *Handler) registerMyRoutes() {
	h.mux.Handle("GET /my", h.page(h.myLicenses))
	h.mux.Handle("POST /my/buy", h.page(h.buySelf))
}

// myLicense is one product the user holds, with its apps.
type myLicense struct {
	SKU  *allot.SKU
	Apps []myApp
}

// myApp is one service plan of a held product, on or switched off.
type myApp struct {
	Plan *allot.ServicePlan
	On   bool
}

// myPage is the data of My licenses.
type myPage struct {
	base
	User     *allot.User
	Licenses []myLicense
	// Buy is the self-service purchase form; CanBuySelf shows it (the
	// organization's policy decides each purchase).
	Buy        buyForm
	CanBuySelf bool
	Bought     *allot.SKU // the product just bought, for the notice
}

// myLicenses shows the signed-in user their own licenses and apps (a user
// reads itself: allot.AuthorizeNamed).
func (h *Handler) myLicenses(w http.ResponseWriter, r *http.Request) error {
	return h.showMy(w, r, http.StatusOK, h.newBuyForm(requestOf(r).lang))
}

// showMy renders My licenses with the purchase form as buy says.
func (h *Handler) showMy(w http.ResponseWriter, r *http.Request, status int, buy buyForm) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	u, err := h.svc.Users.FindUser(r.Context(), s.p, s.p.UserID)
	if err != nil {
		return err
	}
	buy.Action = "/my/buy"
	pg := &myPage{base: h.base(r, "my.title", "my"), User: u, Buy: buy, CanBuySelf: h.svc.SelfService != nil && s.p.AppID == ""}
	if id := r.URL.Query().Get("bought"); id != "" && r.Method == http.MethodGet {
		pg.Bought = h.catalog.SKU(id)
	}
	for _, l := range u.Licenses {
		sku := h.catalog.SKU(l.SKUID)
		if sku == nil {
			continue
		}
		ml := myLicense{SKU: sku}
		for _, pl := range sku.Plans {
			ml.Apps = append(ml.Apps, myApp{Plan: pl, On: l.PlanEnabled(sku, pl.ID)})
		}
		pg.Licenses = append(pg.Licenses, ml)
	}
	h.render(w, r, status, "my", pg)
	return nil
}

// PlanName names a service plan in the page's language.
func (b base) PlanName(p *allot.ServicePlan) string { return p.DisplayName.In(b.Lang) }
