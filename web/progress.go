package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/allot-project/allot"
)

// chunkSize is how many users one step of a large unassignment changes,
// so the page can show its progress (Handler.chunk, smaller in tests).
const chunkSize = allot.MaxPage

// chunkAnswer is one step of a large unassignment, for the page's script:
// how many users it went through, the cursor of the next step ("" when
// done), the result so far in the page's language and this step's
// refusals.
type chunkAnswer struct {
	Processed int       `json:"processed"`
	Next      string    `json:"next"`
	Done      int       `json:"done"`
	Unchanged int       `json:"unchanged"`
	Refused   int       `json:"refused"`
	Lines     []string  `json:"lines"`
	Refusals  []refusal `json:"refusals"`
}

// unassignChunk unassigns the product from the next chunkSize users
// matching query after the form's cursor, and answers the running totals
// (the form's done, unchanged and refused plus this step's). The script of
// the confirmation calls it until Next is empty; without JavaScript the
// form posts once and every user is done in one request.
func (h *Handler) unassignChunk(w http.ResponseWriter, r *http.Request, s *session, sku *allot.SubscribedSKU, query string) error {
	f := allot.UserFilter{SKUID: sku.SKU.ID, NamePrefix: query, After: r.PostFormValue("after"), Limit: h.chunk}
	users, more, err := h.svc.Users.FindUsers(r.Context(), s.p, f)
	if err != nil {
		return err
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	pg := &resultPage{base: h.base(r, "result.title", "licenses"), SKU: sku, Removed: true}
	if len(ids) > 0 {
		results, err := h.svc.Licenses.AssignLicensesBulk(r.Context(), s.p, allot.BulkLicenseChange{Users: ids,
			Change: allot.LicenseChange{Remove: []string{sku.SKU.ID}}, SkipUnchanged: true})
		if err != nil {
			return err
		}
		pg.count(results, h.userNames(r, s.p), h.errorText)
	}
	a := chunkAnswer{Processed: len(ids), Refusals: pg.Refused}
	if a.Refusals == nil {
		a.Refusals = []refusal{}
	}
	if more && len(ids) > 0 {
		a.Next = ids[len(ids)-1]
	}
	a.Done = formInt(r, "done") + pg.Done
	a.Unchanged = formInt(r, "unchanged") + pg.Unchanged
	a.Refused = formInt(r, "refused") + len(pg.Refused) + pg.More
	a.Lines = []string{pg.N("result.unassigned", a.Done), pg.N("result.unchanged", a.Unchanged)}
	if a.Refused > 0 {
		a.Lines = append(a.Lines, pg.N("result.refused", a.Refused))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(a)
}

// formInt reads a non-negative count of the form; 0 when absent or bad.
func formInt(r *http.Request, name string) int {
	n, err := strconv.Atoi(r.PostFormValue(name))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
