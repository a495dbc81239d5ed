package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/allot-project/allot"
)

// registerLicenseRoutes registers Billing > Licenses and a product's page
// with its actions.
func (h *Handler) registerLicenseRoutes() {
	h.mux.Handle("GET /licenses", h.page(h.licenses))
	h.mux.Handle("GET /licenses/{sku}", h.page(h.productUsers))
	h.mux.Handle("POST /licenses/{sku}/unassign", h.page(h.unassign))
	h.mux.Handle("POST /licenses/{sku}/assign", h.page(h.assign))
	h.mux.Handle("GET /licenses/{sku}/candidates", h.page(h.candidates))
}

// licenseRow is one product of the Licenses page.
type licenseRow struct {
	SKU                        *allot.SKU
	Total, Assigned, Available int
	SelfService                []selfServiceRow
	Chart                      *chart // the last 90 days; nil when the visitor may not read the audit log
}

// selfServiceRow is a self-service purchase's seats, shown apart since
// only its purchaser assigns them.
type selfServiceRow struct {
	Purchaser          string
	Capacity, Consumed int
}

// licensesPage is the data of Billing > Licenses.
type licensesPage struct {
	base
	Rows []licenseRow
}

// licenses shows every product with total, assigned and available
// licenses aggregated over its subscriptions (allot.AggregateSKUs, in the
// store), self-service seats apart.
func (h *Handler) licenses(w http.ResponseWriter, r *http.Request) error {
	s, err := h.admin(r)
	if err != nil {
		return err
	}
	skus, err := h.svc.Subscriptions.FindSubscribedSKUs(r.Context(), s.p)
	if err != nil {
		return err
	}
	pg := &licensesPage{base: h.base(r, "licenses.title", "licenses")}
	names := h.userNames(r, s.p)
	charts, err := h.seatCharts(r.Context(), s.p, skus)
	if err != nil {
		return err
	}
	for _, sku := range skus {
		row := licenseRow{SKU: sku.SKU, Total: sku.Total(), Assigned: sku.Consumed, Available: sku.Available()}
		for _, pool := range sku.Pools {
			if pool.SubscriptionID != "" {
				row.SelfService = append(row.SelfService, selfServiceRow{Purchaser: names(pool.PurchasedBy), Capacity: pool.Capacity, Consumed: pool.Consumed})
			}
		}
		row.Chart = charts[sku.SKU.ID]
		pg.Rows = append(pg.Rows, row)
	}
	h.render(w, r, http.StatusOK, "licenses", pg)
	return nil
}

// admin returns the session of a visitor who may read the admin center's
// pages; ordinary users are refused (they have My licenses).
func (h *Handler) admin(r *http.Request) (*session, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, err
	}
	if err := allot.Authorize(s.p, allot.ActionRead); err != nil {
		return nil, err
	}
	return s, nil
}

// userNames returns a function naming users by id (display name), asking
// the store once per id; an id it cannot read names itself.
func (h *Handler) userNames(r *http.Request, p allot.Principal) func(id string) string {
	seen := map[string]string{}
	return func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		n := id
		if u, err := h.svc.Users.FindUser(r.Context(), p, id); err == nil {
			n = u.DisplayName
		}
		seen[id] = n
		return n
	}
}

// pageSize is how many users a product's page lists at once.
const pageSize = 50

// productUsersPage is the data of a product's page: its users, a page at
// a time.
type productUsersPage struct {
	base
	SKU       *allot.SubscribedSKU
	Users     []*allot.User
	Matching  int    // users holding the product (without a search)
	Query     string // the search: display names starting with it
	Next      string // the keyset cursor of the next page, "" on the last
	NextKey   string // its sort key (allot.UserOrder.Key)
	Sort      string // the order: name, -name, upn or -upn
	First     bool   // the first page
	Available int
	Chart     *chart // nil when the visitor may not read the audit log
}

// productUsers lists the users holding a product, searched by display
// name prefix and paged by keyset (the last id seen), so a page stays
// fast at any number of users.
func (h *Handler) productUsers(w http.ResponseWriter, r *http.Request) error {
	s, err := h.admin(r)
	if err != nil {
		return err
	}
	sku, err := h.findSKU(r, s.p)
	if err != nil {
		return err
	}
	pg := &productUsersPage{base: h.base(r, "licenses.title", "licenses"), SKU: sku, Available: sku.Available()}
	pg.Title = pg.SKUName(sku.SKU)
	pg.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	q := r.URL.Query()
	pg.Sort = q.Get("sort")
	if pg.Sort == "" {
		pg.Sort = string(allot.UserOrderName)
	}
	after := q.Get("after")
	pg.First = after == ""
	f := allot.UserFilter{SKUID: sku.SKU.ID, NamePrefix: pg.Query, After: after, AfterKey: q.Get("key"), Limit: pageSize, Order: allot.UserOrder(pg.Sort)}
	if f.Order == allot.UserOrderID {
		return pageError(http.StatusBadRequest, "product.badSort")
	}
	var more bool
	if pg.Users, more, err = h.svc.Users.FindUsers(r.Context(), s.p, f); err != nil {
		if allot.ErrorCode(err) == allot.EINVALID {
			return pageError(http.StatusBadRequest, "product.badSort")
		}
		return err
	}
	if more && len(pg.Users) > 0 {
		last := pg.Users[len(pg.Users)-1]
		pg.Next, pg.NextKey = last.ID, f.Order.Key(last)
	}
	pg.Matching = sku.Consumed // users holding it, from the seat counters; a search is counted when confirmed
	if pg.Chart, err = h.seatChart(r.Context(), s.p, sku); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "product", pg)
	return nil
}

// SortLink returns the query of the link heading column col ("name" or
// "upn"): ascending, or descending when the list is ascending by it.
func (pg *productUsersPage) SortLink(col string) string {
	v := url.Values{"sort": {col}}
	if pg.Sort == col {
		v.Set("sort", "-"+col)
	}
	if pg.Query != "" {
		v.Set("q", pg.Query)
	}
	return "?" + v.Encode()
}

// AriaSort returns the aria-sort value of column col's heading.
func (pg *productUsersPage) AriaSort(col string) string {
	switch pg.Sort {
	case col:
		return "ascending"
	case "-" + col:
		return "descending"
	}
	return "none"
}

// NextLink returns the query of the next page's link.
func (pg *productUsersPage) NextLink() string {
	v := url.Values{"sort": {pg.Sort}, "after": {pg.Next}, "key": {pg.NextKey}}
	if pg.Query != "" {
		v.Set("q", pg.Query)
	}
	return "?" + v.Encode()
}

// FirstLink returns the query of the first page's link.
func (pg *productUsersPage) FirstLink() string {
	v := url.Values{"sort": {pg.Sort}}
	if pg.Query != "" {
		v.Set("q", pg.Query)
	}
	return "?" + v.Encode()
}

// findSKU returns the subscribed product named by the path, ENOTFOUND if
// the tenant holds none of it.
func (h *Handler) findSKU(r *http.Request, p allot.Principal) (*allot.SubscribedSKU, error) {
	sku, err := h.svc.Subscriptions.FindSubscribedSKU(r.Context(), p, strings.ToLower(r.PathValue("sku")))
	if err != nil {
		return nil, err
	}
	if sku.SKU == nil {
		return nil, &allot.Error{Code: allot.ENOTFOUND, Message: "No such product."}
	}
	return sku, nil
}
