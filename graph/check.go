package graph

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/allot-project/allot"
)

// This file is allot's license-check API (capability U6), outside Graph's
// namespace, for applications asking at high rate whether a user may use a
// service plan:
//
//	GET  /api/check?user=ID|UPN&servicePlan=ID|NAME
//	POST /api/check  {"checks":[{"user":…,"servicePlan":…}, …]}   (1 to 1000)
//
// Each answer is {"user","userId","servicePlanId","licensed","skuId","reason"};
// reason is Licensed, NoLicense, PlanDisabled, SubscriptionSuspended,
// SignInBlocked, UserDeleted, UserNotFound or UnknownServicePlan. Unknown
// users and plans are answers (200), not errors. The caller's token needs
// any administrator role or the License Checker role meant for
// applications. Checks are answered from the in-memory index, never SQL;
// these routes log at Debug level, not Info, to keep the hot path light.

func (s *Server) registerCheckRoutes() {
	s.route("GET /api/check", s.checkOne)
	s.route("POST /api/check", s.checkBatch)
}

// checkResult is the JSON of one answer.
type checkResult struct {
	User          string `json:"user"`
	UserID        string `json:"userId"`
	ServicePlanID string `json:"servicePlanId"`
	Licensed      bool   `json:"licensed"`
	SKUID         string `json:"skuId"`
	Reason        string `json:"reason"`
}

func toCheckResult(r allot.CheckResult) checkResult {
	return checkResult{User: r.User, UserID: r.UserID, ServicePlanID: r.ServicePlanID, Licensed: r.Licensed, SKUID: r.SKUID, Reason: r.Reason}
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
	raw, err := s.readBody(w, r)
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
	out := struct {
		Results []checkResult `json:"results"`
	}{Results: make([]checkResult, len(res))}
	for i, c := range res {
		out.Results[i] = toCheckResult(c)
	}
	return writeJSON(w, http.StatusOK, out)
}

// decodeChecks reads {"checks":[{"user":…,"servicePlan":…}]} strictly.
func decodeChecks(body []byte) ([]allot.CheckRequest, error) {
	obj, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	m, unknown, err := obj.members([]string{"checks"})
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, badRequest(fmt.Sprintf("The property '%s' does not exist on a check batch.", truncate(unknown[0], 60)))
	}
	raw, ok := m["checks"]
	if !ok || isNull(raw) {
		return nil, badRequest("The parameter 'checks' is missing.")
	}
	items, err := decodeArray("checks", raw)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 || len(items) > allot.MaxChecks {
		return nil, badRequest(fmt.Sprintf("A batch carries 1 to %d checks, not %d.", allot.MaxChecks, len(items)))
	}
	reqs := make([]allot.CheckRequest, len(items))
	for i, it := range items {
		if reqs[i], err = decodeCheck(it); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

func decodeCheck(raw json.RawMessage) (allot.CheckRequest, error) {
	var c allot.CheckRequest
	obj, err := decodeObject("checks", raw)
	if err != nil {
		return c, err
	}
	m, unknown, err := obj.members([]string{"user", "servicePlan"})
	if err != nil {
		return c, err
	}
	if len(unknown) > 0 {
		return c, badRequest(fmt.Sprintf("The property '%s' does not exist on a check.", truncate(unknown[0], 60)))
	}
	if c.User, err = decodeString("user", m["user"]); err != nil {
		return c, err
	}
	if c.ServicePlan, err = decodeString("servicePlan", m["servicePlan"]); err != nil {
		return c, err
	}
	if c.User == "" || c.ServicePlan == "" {
		return c, badRequest("Every check needs a 'user' and a 'servicePlan'.")
	}
	return c, nil
}
