package graph

import (
	"fmt"
	"net/http"

	"github.com/allot-project/allot"
)

// This file is allot's own extension of Graph: one license change applied
// to many users (capability A3), which Graph only offers through group
// licensing. It serves the allot CLI's "license assign/unassign" with
// several users. POST /api/bulkAssignLicense takes a BulkRequest and
// answers 200 with a BulkResponse (apitypes.go). In allOrNothing mode a
// refusal for one user refuses everything: 400 Request_BadRequest whose
// details[0] names the user as its target. Per-user error codes are the licensing
// rule ("CountViolation", …) or else the Graph code of the error.

func (s *Server) registerBulkRoutes() {
	s.route("POST /api/bulkAssignLicense", s.bulkAssignLicense)
}

func (s *Server) bulkAssignLicense(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQueryOptions(r, 0); err != nil {
		return err
	}
	raw, err := s.readBodyLimit(w, r, s.maxBulk)
	if err != nil {
		return err
	}
	b, err := decodeBulkChange(raw)
	if err != nil {
		return err
	}
	results, err := s.svc.Licenses.AssignLicensesBulk(r.Context(), principalFrom(r), b)
	if err != nil {
		return bulkRefusal(err, results)
	}
	body := BulkResponse{Results: make([]BulkResult, 0, len(results)), DryRun: b.DryRun}
	for _, res := range results {
		out := BulkResult{User: res.User, ID: res.UserID, Changed: res.Changed}
		switch {
		case res.Err != nil:
			out.Changed = false
			out.Error = bulkErrorDetail(res.Err, res.User)
			body.Failed++
		case res.Changed:
			body.Changed++
			if !b.DryRun {
				s.metrics.countAssignments(len(b.Change.Add), len(b.Change.Remove))
			}
		default:
			body.Unchanged++
		}
		body.Results = append(body.Results, out)
	}
	return writeJSON(w, http.StatusOK, body)
}

// bulkRefusal turns the error of a refused bulk change into the answer:
// the refusal of one user (allOrNothing) is 400 with that user as the
// target of details[0]; a failure of the whole is rendered as usual.
func bulkRefusal(err error, results []allot.BulkResult) error {
	for _, res := range results {
		if res.Err == nil {
			continue
		}
		d := bulkErrorDetail(res.Err, res.User)
		if d.Code == codeInternal {
			return err
		}
		return &apiError{status: http.StatusBadRequest, code: codeBadRequest, message: d.Message, details: []errorDetail{errorDetail(*d)}}
	}
	return err
}

// bulkErrorDetail describes one user's refusal.
func bulkErrorDetail(err error, user string) *BulkError {
	e, _ := toAPIError(err, user)
	code := e.code
	if len(e.details) > 0 {
		code = e.details[0].Code
	}
	return &BulkError{Code: code, Message: e.message, Target: user}
}

// decodeBulkChange decodes a bulk request. Unlike Graph's bodies, an
// unknown property is refused: this API is allot's own, and a misspelt
// "dryRun" must not write.
func decodeBulkChange(body []byte) (allot.BulkLicenseChange, error) {
	var b allot.BulkLicenseChange
	obj, err := parseObject(body)
	if err != nil {
		return b, err
	}
	m, unknown, err := obj.members([]string{"users", "addLicenses", "removeLicenses", "mode", "skipUnchanged", "dryRun"})
	if err != nil {
		return b, err
	}
	if len(unknown) > 0 {
		return b, badRequest(fmt.Sprintf("The property '%s' does not exist on bulkAssignLicense.", truncate(unknown[0], 60)))
	}
	users, ok := m["users"]
	if !ok || isNull(users) {
		return b, badRequest("The parameter 'users' is missing: list the ids or userPrincipalNames to change.")
	}
	items, err := decodeArray("users", users)
	if err != nil {
		return b, err
	}
	for _, it := range items {
		u, err := decodeString("users", it)
		if err != nil {
			return b, err
		}
		b.Users = append(b.Users, u)
	}
	if len(b.Users) == 0 {
		return b, badRequest("The parameter 'users' is empty: list at least one user.")
	}
	for _, name := range []string{"addLicenses", "removeLicenses"} {
		if v, ok := m[name]; !ok || isNull(v) {
			m[name] = []byte("[]") // optional here, unlike in Graph's assignLicense
		}
	}
	if b.Change, err = licenseChangeFrom(m); err != nil {
		return b, err
	}
	if len(b.Change.Add) == 0 && len(b.Change.Remove) == 0 {
		return b, badRequest("No license changes provided. At least one license to add or remove must be specified.")
	}
	mode := ""
	if v, ok := m["mode"]; ok {
		if mode, err = decodeString("mode", v); err != nil {
			return b, err
		}
	}
	switch mode {
	case "", "perUser":
	case "allOrNothing":
		b.AllOrNothing = true
	default:
		return b, badRequest(fmt.Sprintf("Invalid mode '%s': use perUser or allOrNothing.", truncate(mode, 40)))
	}
	flags := []struct {
		name string
		dst  *bool
	}{{"skipUnchanged", &b.SkipUnchanged}, {"dryRun", &b.DryRun}}
	for _, fl := range flags {
		if v, ok := m[fl.name]; ok && !isNull(v) {
			if *fl.dst, err = decodeBool(fl.name, v); err != nil {
				return b, err
			}
		}
	}
	return b, nil
}
