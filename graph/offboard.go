package graph

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/allot-project/allot"
)

// OffboardRequest is the body of POST /api/users/{id}/offboard: place a
// hold first (named HoldName, or "Offboarding of <upn>"), move the
// licenses to Successor (id or userPrincipalName; "" removes them), and
// with DryRun say what would happen, changing nothing.
type OffboardRequest struct {
	Hold      bool   `json:"hold,omitempty"`
	HoldName  string `json:"holdName,omitempty"`
	Successor string `json:"successor,omitempty"`
	DryRun    bool   `json:"dryRun,omitempty"`
}

// OffboardInfo is what an offboarding did (or would do): the user's sign-in
// blocked, its licenses (by skuId) removed or moved to the successor, its
// tokens revoked, the hold placed and what happens to its data.
type OffboardInfo struct {
	UserID            string         `json:"userId"`
	UserPrincipalName string         `json:"userPrincipalName"`
	AccountEnabled    bool           `json:"accountEnabled"`
	Licenses          []string       `json:"licenses"`
	Successor         string         `json:"successor,omitempty"`
	TokensRevoked     int            `json:"tokensRevoked"`
	Hold              *HoldInfo      `json:"hold"`
	Impact            DataImpactInfo `json:"impact"`
	DryRun            bool           `json:"dryRun,omitempty"`
}

func (s *Server) registerOffboardRoutes() {
	s.route("POST /api/users/{id}/offboard", s.offboardUser)
}

// offboardUser answers 200 with what was done. Who may offboard at all is
// decided before the body is read; a hold's right once it is.
func (s *Server) offboardUser(w http.ResponseWriter, r *http.Request) error {
	if s.svc.Offboard == nil {
		return allot.Errorf(allot.ENOTIMPL, "Offboarding is not available on this server.")
	}
	p := principalFrom(r)
	if err := allot.AuthorizeOffboard(p, allot.Offboarding{}); err != nil {
		return err
	}
	id := r.PathValue("id")
	infoFrom(r.Context()).target = id
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req OffboardRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest(`The body must be {"hold": true, "holdName": "Case 42", "successor": "adele@contoso.example", "dryRun": false}, each member optional: ` + jsonErrorText(err))
	}
	dry, err := dryRunQuery(r, req.DryRun)
	if err != nil {
		return err
	}
	res, err := s.svc.Offboard.Offboard(r.Context(), p, allot.Offboarding{User: id, Hold: req.Hold, HoldName: req.HoldName, Successor: req.Successor, DryRun: dry})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newOffboardInfo(res))
}

func newOffboardInfo(res *allot.OffboardResult) OffboardInfo {
	out := OffboardInfo{UserID: res.User.ID, UserPrincipalName: res.User.UserPrincipalName, AccountEnabled: res.User.AccountEnabled,
		Licenses: []string{}, TokensRevoked: res.TokensRevoked, Impact: NewDataImpactInfo(&res.Impact), DryRun: res.DryRun}
	for _, l := range res.Licenses {
		out.Licenses = append(out.Licenses, l.SKUID)
	}
	if res.Successor != nil {
		out.Successor = res.Successor.UserPrincipalName
	}
	if res.Hold != nil {
		h := NewHoldInfo(res.Hold)
		out.Hold = &h
	}
	return out
}
