package web

import (
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// registerUserRoutes registers Users > Active users, a user's pane with
// its actions, the deleted users and "Manage product licenses".
func (h *Handler) registerUserRoutes() {
	h.mux.Handle("GET /users", h.page(h.users))
	h.mux.Handle("GET /users/deleted", h.page(h.deletedUsers))
	h.mux.Handle("GET /users/new", h.page(h.newUserForm))
	h.mux.Handle("POST /users/new", h.page(h.createUser))
	h.mux.Handle("POST /users/manage", h.page(h.manageLicenses))
	h.mux.Handle("GET /users/{id}", h.page(h.userPane))
	h.mux.Handle("POST /users/{id}/licenses", h.page(h.saveLicenses))
	h.mux.Handle("POST /users/{id}/edit", h.page(h.editUser))
	h.mux.Handle("POST /users/{id}/delete", h.page(h.deleteUser))
	h.mux.Handle("POST /users/{id}/restore", h.page(h.restoreUser))
}

// userRow is one user of a list, with the names of the products held.
type userRow struct {
	User     *allot.User
	Products []string
}

// filterOption is one choice of the list's filter.
type filterOption struct {
	Value, Label string
	Selected     bool
	Product      bool // holding a product: in the filter's product group
}

// usersPage is the data of Active users and of the deleted users.
type usersPage struct {
	base
	Deleted   bool // the deleted users' view
	Rows      []userRow
	Query     string
	Filter    string
	Filters   []filterOption
	Next      string // keyset cursor of the next page, "" on the last
	First     bool
	CanManage bool // creates, edits, deletes and restores users
	Count     int  // users matching, all pages, up to Handler.count
	CountMore bool // more than Count match
}

// maxListCount is how far the users' lists count the users matching: past
// it they say "more than", so that a page costs the same at 100 users and
// at 1,000,000 (counting 100,000 users took three times the page's 50 ms).
const maxListCount = 1000

// users lists the tenant's active users: a search on the display name, a
// filter (licensed, unlicensed, sign-in blocked, holding a product) and
// keyset paging.
func (h *Handler) users(w http.ResponseWriter, r *http.Request) error {
	return h.listUsers(w, r, false)
}

// deletedUsers lists the users deleted less than allot.DeletedRetention
// ago, which a User Administrator restores.
func (h *Handler) deletedUsers(w http.ResponseWriter, r *http.Request) error {
	return h.listUsers(w, r, true)
}

// listUsers serves the active or the deleted users' list.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, deleted bool) error {
	s, err := h.admin(r)
	if err != nil {
		return err
	}
	title := "users.title"
	if deleted {
		title = "users.deletedTitle"
	}
	pg := &usersPage{base: h.base(r, title, "users"), Deleted: deleted, CanManage: s.p.Can(allot.ActionManageUsers)}
	q := r.URL.Query()
	pg.Query, pg.Filter = strings.TrimSpace(q.Get("q")), q.Get("filter")
	after := q.Get("after")
	pg.First = after == ""
	f := allot.UserFilter{NamePrefix: pg.Query, Deleted: deleted, After: after, Limit: pageSize, WithLicenses: !deleted}
	if !deleted {
		if pg.Filters, err = h.userFilters(r, s.p, &f, pg); err != nil {
			return err
		}
	}
	users, more, err := h.svc.Users.FindUsers(r.Context(), s.p, f)
	if err != nil {
		return err
	}
	counted := f
	counted.CountAtMost = h.count + 1
	if pg.Count, err = h.svc.Users.CountUsers(r.Context(), s.p, counted); err != nil {
		return err
	}
	if pg.Count > h.count {
		pg.Count, pg.CountMore = h.count, true
	}
	for _, u := range users {
		row := userRow{User: u}
		for _, l := range u.Licenses {
			row.Products = append(row.Products, pg.SKUName(h.catalog.SKU(l.SKUID)))
		}
		pg.Rows = append(pg.Rows, row)
	}
	if more && len(users) > 0 {
		pg.Next = users[len(users)-1].ID
	}
	h.render(w, r, http.StatusOK, "users", pg)
	return nil
}

// userFilters returns the list's filter choices, the tenant's products
// among them, and sets f from the one chosen; an unknown choice is
// refused.
func (h *Handler) userFilters(r *http.Request, p allot.Principal, f *allot.UserFilter, pg *usersPage) ([]filterOption, error) {
	opts := []filterOption{{Value: "", Label: pg.T("users.filterAll")}, {Value: "licensed", Label: pg.T("users.filterLicensed")},
		{Value: "unlicensed", Label: pg.T("users.filterUnlicensed")},
		{Value: "blocked", Label: pg.T("users.filterBlocked")}}
	skus, err := h.svc.Subscriptions.FindSubscribedSKUs(r.Context(), p)
	if err != nil {
		return nil, err
	}
	for _, sku := range skus {
		opts = append(opts, filterOption{Value: "sku:" + sku.SKU.ID, Label: pg.SKUName(sku.SKU), Product: true})
	}
	found := false
	for i := range opts {
		if opts[i].Value == pg.Filter {
			opts[i].Selected, found = true, true
		}
	}
	switch {
	case !found:
		return nil, pageError(http.StatusBadRequest, "users.badFilter")
	case pg.Filter == "licensed":
		f.Licensed = true
	case pg.Filter == "unlicensed":
		f.Unlicensed = true
	case pg.Filter == "blocked":
		off := false
		f.Enabled = &off
	case strings.HasPrefix(pg.Filter, "sku:"):
		f.SKUID = strings.TrimPrefix(pg.Filter, "sku:")
	}
	return opts, nil
}

// ProductList joins a user's products for a table cell.
func (r userRow) ProductList() string { return strings.Join(r.Products, ", ") }
