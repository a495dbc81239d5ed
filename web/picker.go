package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// maxCandidates is how many users the picker suggests at once.
const maxCandidates = 10

// candidate is one user the assign picker suggests.
type candidate struct {
	UPN  string `json:"upn"`
	Name string `json:"name"`
}

// candidates answers the assign picker's script: the first users whose
// display name starts with q, for a visitor who may assign licenses. The
// form works without it: a person types userPrincipalNames.
func (h *Handler) candidates(w http.ResponseWriter, r *http.Request) error {
	s, _, err := h.assigner(r)
	if err != nil {
		return err
	}
	return h.writeCandidates(w, r, s.p)
}

// writeCandidates writes the first users whose display name starts with
// the query's q as the pickers' JSON.
func (h *Handler) writeCandidates(w http.ResponseWriter, r *http.Request, p allot.Principal) error {
	out := []candidate{}
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		users, _, err := h.svc.Users.FindUsers(r.Context(), p, allot.UserFilter{NamePrefix: q, Limit: maxCandidates})
		if err != nil {
			return err
		}
		for _, u := range users {
			out = append(out, candidate{UPN: u.UserPrincipalName, Name: u.DisplayName})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(out)
}
