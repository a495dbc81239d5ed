package web

import (
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// maxListed is how many users a confirmation or a result names one by
// one; the rest are counted.
const maxListed = 100

// confirmPage is the data of the confirmation of an unassignment.
type confirmPage struct {
	base
	SKU    *allot.SubscribedSKU
	IDs    []string // the users selected by hand
	All    bool     // every user matching Query
	Query  string
	Count  int
	Names  []string    // the first maxListed users' names
	Impact *impactPage // what it does to their data; nil without a preview
}

// resultPage is the data of a change's result: done, unchanged, refused
// with the reason per user.
type resultPage struct {
	base
	SKU       *allot.SubscribedSKU
	Removed   bool // an unassignment (else an assignment)
	Done      int
	Unchanged int
	Refused   []refusal
	More      int // refusals past maxListed, counted only
}

// refusal is one user's refusal, in the page's language.
type refusal struct {
	User   string `json:"user"`
	Reason string `json:"reason"`
}

// unassign confirms, then unassigns a product from the users selected on
// its page, or from every user matching the search ("select all N
// matching", any N, through the bulk path).
func (h *Handler) unassign(w http.ResponseWriter, r *http.Request) error {
	s, sku, err := h.assigner(r)
	if err != nil {
		return err
	}
	pg := &confirmPage{base: h.base(r, "unassign.title", "licenses"), SKU: sku, IDs: r.PostForm["user"],
		All: r.PostFormValue("all") == "1", Query: strings.TrimSpace(r.PostFormValue("q"))}
	if !pg.All && len(pg.IDs) == 0 {
		return pageError(http.StatusBadRequest, "unassign.none")
	}
	if r.PostFormValue("step") == "chunk" && pg.All {
		return h.unassignChunk(w, r, s, sku, pg.Query)
	}
	if r.PostFormValue("step") != "run" {
		if err := h.describeSelection(r, s.p, pg); err != nil {
			return err
		}
		h.render(w, r, http.StatusOK, "confirm", pg)
		return nil
	}
	users := pg.IDs
	if pg.All {
		if users, err = h.matchingUsers(r, s.p, sku.SKU.ID, pg.Query, 0); err != nil {
			return err
		}
	}
	return h.applyBulk(w, r, s, sku, allot.BulkLicenseChange{Users: users, Change: allot.LicenseChange{Remove: []string{sku.SKU.ID}}, SkipUnchanged: true})
}

// assign assigns a product to the users named (userPrincipalNames
// separated by commas, spaces or lines).
func (h *Handler) assign(w http.ResponseWriter, r *http.Request) error {
	s, sku, err := h.assigner(r)
	if err != nil {
		return err
	}
	users := strings.FieldsFunc(r.PostFormValue("users"), func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	if len(users) == 0 {
		return pageError(http.StatusBadRequest, "assign.none")
	}
	ch := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: sku.SKU.ID}}}
	return h.applyBulk(w, r, s, sku, allot.BulkLicenseChange{Users: users, Change: ch, SkipUnchanged: true})
}

// assigner returns the session of a visitor who may change assignments
// and the product the path names.
func (h *Handler) assigner(r *http.Request) (*session, *allot.SubscribedSKU, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, nil, err
	}
	if err := allot.Authorize(s.p, allot.ActionAssignLicenses); err != nil {
		return nil, nil, err
	}
	sku, err := h.findSKU(r, s.p)
	return s, sku, err
}

// describeSelection counts and names the users a confirmation is about.
func (h *Handler) describeSelection(r *http.Request, p allot.Principal, pg *confirmPage) error {
	if !pg.All {
		pg.Count = len(pg.IDs)
		names := h.userNames(r, p)
		for _, id := range pg.IDs[:min(len(pg.IDs), maxListed)] {
			pg.Names = append(pg.Names, names(id))
		}
		var err error
		pg.Impact, err = h.previewUnassign(r, p, pg.base, pg.SKU.SKU.ID, pg.IDs, pg.Count)
		return err
	}
	f := allot.UserFilter{SKUID: pg.SKU.SKU.ID, NamePrefix: pg.Query, Limit: maxListed}
	users, _, err := h.svc.Users.FindUsers(r.Context(), p, f)
	if err != nil {
		return err
	}
	for _, u := range users {
		pg.Names = append(pg.Names, u.DisplayName)
	}
	if pg.Query == "" {
		pg.Count = pg.SKU.Consumed // from the seat counters
	} else if pg.Count, err = h.svc.Users.CountUsers(r.Context(), p, f); err != nil {
		return err
	}
	if h.svc.Data == nil {
		return nil
	}
	ids, err := h.matchingUsers(r, p, pg.SKU.SKU.ID, pg.Query, previewLimit)
	if err != nil {
		return err
	}
	pg.Impact, err = h.previewUnassign(r, p, pg.base, pg.SKU.SKU.ID, ids, pg.Count)
	return err
}

// matchingUsers returns the ids of the users holding skuID whose display
// name starts with query, the first limit of them (every one for 0),
// reading them a page of MaxPage at a time.
func (h *Handler) matchingUsers(r *http.Request, p allot.Principal, skuID, query string, limit int) ([]string, error) {
	var ids []string
	f := allot.UserFilter{SKUID: skuID, NamePrefix: query, Limit: allot.MaxPage}
	for limit == 0 || len(ids) < limit {
		if limit > 0 {
			f.Limit = min(allot.MaxPage, limit-len(ids))
		}
		users, more, err := h.svc.Users.FindUsers(r.Context(), p, f)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			ids = append(ids, u.ID)
		}
		if !more || len(users) == 0 {
			return ids, nil
		}
		f.After = users[len(users)-1].ID
	}
	return ids, nil
}

// applyBulk applies a change per user and shows the result: each user
// succeeds or is refused alone, and a refused user is never changed.
func (h *Handler) applyBulk(w http.ResponseWriter, r *http.Request, s *session, sku *allot.SubscribedSKU, b allot.BulkLicenseChange) error {
	results, err := h.svc.Licenses.AssignLicensesBulk(r.Context(), s.p, b)
	if err != nil {
		return err
	}
	pg := &resultPage{base: h.base(r, "result.title", "licenses"), SKU: sku, Removed: len(b.Change.Remove) > 0}
	pg.count(results, h.userNames(r, s.p), h.errorText)
	h.render(w, r, http.StatusOK, "result", pg)
	return nil
}

// count adds results to the page's counts, naming refused users and
// saying why in the page's language.
func (pg *resultPage) count(results []allot.BulkResult, names func(string) string, why func(string, error, func(string) string) string) {
	for _, res := range results {
		switch {
		case res.Err != nil && len(pg.Refused) < maxListed:
			who := res.User
			if res.UserID != "" {
				who = names(res.UserID)
			}
			pg.Refused = append(pg.Refused, refusal{User: who, Reason: why(pg.Lang, res.Err, names)})
		case res.Err != nil:
			pg.More++
		case res.Changed:
			pg.Done++
		default:
			pg.Unchanged++
		}
	}
}
