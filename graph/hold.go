package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/allot-project/allot"
)

// allot's holds and content search (U4), Global Administrators only:
//
//	GET  /api/holds[?user=ID&includeReleased=true] → 200 {"value": [HoldInfo…]}
//	POST /api/holds                 HoldRequest → 201 HoldInfo
//	POST /api/holds/{id}/release    → 200 HoldInfo
//	GET  /api/discovery/mailboxes[?$top=N]  → 200 {"value": [SearchableMailboxInfo…], "@odata.nextLink"}

// HoldInfo is a hold as /api/holds shows it; ReleasedDateTime is null
// while it lasts.
type HoldInfo struct {
	ID                string     `json:"id"`
	UserID            string     `json:"userId"`
	UserPrincipalName string     `json:"userPrincipalName"`
	Name              string     `json:"name"`
	CreatedDateTime   time.Time  `json:"createdDateTime"`
	CreatedBy         string     `json:"createdBy"`
	ReleasedDateTime  *time.Time `json:"releasedDateTime"`
}

// HoldRequest is the body of POST /api/holds: the user held (id or
// userPrincipalName) and the hold's name.
type HoldRequest struct {
	User string `json:"user"`
	Name string `json:"name"`
}

// SearchableMailboxInfo is a mailbox content search reaches: State is
// active (licensed), disconnected (in its grace period, held) or inactive
// (kept past it by a hold).
type SearchableMailboxInfo struct {
	UserID            string `json:"userId"`
	UserPrincipalName string `json:"userPrincipalName"`
	State             string `json:"state"`
	Held              bool   `json:"held"`
}

// NewHoldInfo describes h.
func NewHoldInfo(h *allot.Hold) HoldInfo {
	return HoldInfo{ID: h.ID, UserID: h.UserID, UserPrincipalName: h.UserPrincipalName, Name: h.Name,
		CreatedDateTime: h.CreatedAt, CreatedBy: h.CreatedBy, ReleasedDateTime: optTime(h.ReleasedAt)}
}

func (s *Server) registerHoldRoutes() {
	s.route("GET /api/holds", s.listHolds)
	s.route("POST /api/holds", s.createHold)
	s.route("POST /api/holds/{id}/release", s.releaseHold)
	s.route("GET /api/discovery/mailboxes", s.listSearchableMailboxes)
}

// holds returns the hold service, or 501 when the server has none.
func (s *Server) holds() (allot.HoldService, error) {
	if s.svc.Holds == nil {
		return nil, allot.Errorf(allot.ENOTIMPL, "Holds are not available on this server.")
	}
	return s.svc.Holds, nil
}

func (s *Server) listHolds(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.holds()
	if err != nil {
		return err
	}
	f := allot.HoldFilter{User: r.URL.Query().Get("user")}
	if q := r.URL.Query().Get("includeReleased"); q != "" {
		if f.IncludeReleased, err = strconv.ParseBool(q); err != nil {
			return &allot.Error{Code: allot.EINVALID, Field: "includeReleased", Value: q, Message: "includeReleased must be true or false."}
		}
	}
	holds, err := hs.FindHolds(r.Context(), principalFrom(r), f)
	if err != nil {
		return err
	}
	out := make([]HoldInfo, len(holds))
	for i, h := range holds {
		out[i] = NewHoldInfo(h)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

// createHold answers 201 with the hold. Who may place holds is decided
// before the body is read.
func (s *Server) createHold(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.holds()
	if err != nil {
		return err
	}
	if err := allot.Authorize(principalFrom(r), allot.ActionManageHolds); err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req HoldRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest(`The body must be {"user": "adele@contoso.example", "name": "Case 42"}: ` + jsonErrorText(err))
	}
	h := &allot.Hold{UserID: req.User, Name: req.Name}
	infoFrom(r.Context()).target = req.User
	if err := hs.CreateHold(r.Context(), principalFrom(r), h); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, NewHoldInfo(h))
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.holds()
	if err != nil {
		return err
	}
	h, err := hs.ReleaseHold(r.Context(), principalFrom(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewHoldInfo(h))
}

func (s *Server) listSearchableMailboxes(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.holds()
	if err != nil {
		return err
	}
	q, err := parseQueryOptions(r, optTop|optSkipToken)
	if err != nil {
		return err
	}
	ms, more, err := hs.FindSearchableMailboxes(r.Context(), principalFrom(r), allot.MailboxFilter{After: q.after, Limit: q.top})
	if err != nil {
		return err
	}
	out := make([]SearchableMailboxInfo, len(ms))
	for i, m := range ms {
		out[i] = SearchableMailboxInfo{UserID: m.UserID, UserPrincipalName: m.UserPrincipalName, State: string(m.State), Held: m.Held}
	}
	body := map[string]any{"value": out}
	if more && len(ms) > 0 {
		body["@odata.nextLink"] = nextLink(r, ms[len(ms)-1].UserID)
	}
	return writeJSON(w, http.StatusOK, body)
}
