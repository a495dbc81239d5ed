package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/allot-project/allot"
)

// This file is allot's license-check API (capability U6), outside Graph's
// namespace, for applications asking at high rate whether a user may use a
// service plan:
//
//	GET  /api/check?user=ID|UPN&servicePlan=ID|NAME
//	POST /api/check  {"checks":[{"user":…,"servicePlan":…}, …]}   (1 to 1000)
//
// Each answer is a CheckResult (apitypes.go); its reason is Licensed, NoLicense, PlanDisabled, SubscriptionSuspended,
// SignInBlocked, UserDeleted, UserNotFound or UnknownServicePlan. Unknown
// users and plans are answers (200), not errors. The caller's token needs
// any administrator role or the License Checker role meant for
// applications. Checks are answered from the in-memory index (from SQL,
// by the same rule, only while a just-started server loads it); these
// routes log at Debug level, not Info, to keep the hot path light.

func (s *Server) registerCheckRoutes() {
	s.route("GET /api/check", s.checkOne)
	s.route("POST /api/check", s.checkBatch)
}

// maxCheckBody limits the body of POST /api/check: 1,000 checks of the
// longest userPrincipalName (113 characters) and a plan name take about
// 200 KB.
const maxCheckBody = 1 << 20

func toCheckResult(r allot.CheckResult) CheckResult {
	return CheckResult{User: r.User, UserID: r.UserID, ServicePlanID: r.ServicePlanID, Licensed: r.Licensed, SKUID: r.SKUID, Reason: r.Reason}
}

func (s *Server) checkOne(w http.ResponseWriter, r *http.Request) error {
	if s.svc.Checks == nil {
		return &apiError{status: http.StatusNotImplemented, code: "NotImplemented", message: "License checks are not enabled on this server."}
	}
	q := r.URL.Query()
	req := allot.CheckRequest{User: q.Get("user"), ServicePlan: q.Get("servicePlan")}
	if req.User == "" || req.ServicePlan == "" {
		return badRequest("Give the query parameters 'user' (id or userPrincipalName) and 'servicePlan' (id or name).")
	}
	res, err := s.svc.Checks.Check(r.Context(), principalFrom(r), []allot.CheckRequest{req})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCheckResult(res[0]))
}

func (s *Server) checkBatch(w http.ResponseWriter, r *http.Request) error {
	if s.svc.Checks == nil {
		return &apiError{status: http.StatusNotImplemented, code: "NotImplemented", message: "License checks are not enabled on this server."}
	}
	// Refused before the body is read; a batch of MaxChecks checks takes
	// far less than maxCheckBody.
	if err := allot.Authorize(principalFrom(r), allot.ActionCheck); err != nil {
		return err
	}
	raw, err := s.readBodyLimit(w, r, min(s.maxBody, maxCheckBody))
	if err != nil {
		return err
	}
	reqs, err := decodeChecks(raw)
	if err != nil {
		return err
	}
	res, err := s.svc.Checks.Check(r.Context(), principalFrom(r), reqs)
	if err != nil {
		return err
	}
	out := CheckResults{Results: make([]CheckResult, len(res))}
	for i, c := range res {
		out.Results[i] = toCheckResult(c)
	}
	return writeJSON(w, http.StatusOK, out)
}

// decodeChecks reads {"checks":[{"user":…,"servicePlan":…}]} strictly:
// unknown properties, wrong types and missing fields are refused. It
// decodes into typed structs in one pass, since a batch is on the hot path.
func decodeChecks(body []byte) ([]allot.CheckRequest, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("Empty Payload. JSON content expected.")
	}
	var batch CheckBatch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&batch); err != nil {
		return nil, checkJSONError(err)
	}
	if dec.More() {
		return nil, badRequest(msgBadJSON + " (data after the JSON object)")
	}
	checks := batch.Checks
	if checks == nil { // absent or null
		return nil, badRequest("The parameter 'checks' is missing.")
	}
	if len(checks) == 0 || len(checks) > allot.MaxChecks {
		return nil, badRequest(fmt.Sprintf("A batch carries 1 to %d checks, not %d.", allot.MaxChecks, len(checks)))
	}
	reqs := make([]allot.CheckRequest, len(checks))
	for i, c := range checks {
		if c.User == "" || c.ServicePlan == "" { // absent, null or empty
			return nil, badRequest("Every check needs a 'user' and a 'servicePlan'.")
		}
		reqs[i] = allot.CheckRequest{User: c.User, ServicePlan: c.ServicePlan}
	}
	return reqs, nil
}

// checkJSONError turns a decoding error of a check batch into a 400 that
// names the problem without Go's type names.
func checkJSONError(err error) error {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return badRequest(fmt.Sprintf("The property '%s' has the wrong type: %s where a %s was expected.", te.Field, te.Value, jsonKind(te.Type.Kind())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest(fmt.Sprintf("The property %s does not exist on a check batch.", truncate(strings.TrimPrefix(err.Error(), "json: unknown field "), 60)))
	}
	return badRequest(msgBadJSON + " (" + jsonErrorText(err) + ")")
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "array"
	case reflect.Struct:
		return "object"
	}
	return k.String()
}
