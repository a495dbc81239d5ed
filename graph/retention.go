package graph

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/allot-project/allot"
)

// DataRetention is the body and answer of /api/dataRetention: how many
// days the tenant keeps a deleted user's files (30 to 3,650).
//
//	GET   /api/dataRetention → 200 DataRetention (any admin role)
//	PATCH /api/dataRetention   DataRetention → 200 DataRetention (Global Administrators)
type DataRetention struct {
	FileRetentionDays int `json:"fileRetentionDays"`
}

func (s *Server) registerRetentionRoutes() {
	s.route("GET /api/dataRetention", s.getDataRetention)
	s.route("PATCH /api/dataRetention", s.patchDataRetention)
}

func (s *Server) getDataRetention(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.data()
	if err != nil {
		return err
	}
	days, err := ds.FileRetentionDays(r.Context(), principalFrom(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, DataRetention{FileRetentionDays: days})
}

// patchDataRetention decides who may change the retention before reading
// the body.
func (s *Server) patchDataRetention(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.data()
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
	var req struct {
		FileRetentionDays *int `json:"fileRetentionDays"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.FileRetentionDays == nil {
		return badRequest(`The body must be {"fileRetentionDays": 90}: 30 to 3650 days.`)
	}
	if err := ds.SetFileRetentionDays(r.Context(), principalFrom(r), *req.FileRetentionDays); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, DataRetention{FileRetentionDays: *req.FileRetentionDays})
}
