package graph

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/allot-project/allot"
)

// Self-service purchases and their policy, allot's own:
//
//	GET   /api/policies/selfService        → 200 {"value": [ProductPolicyInfo…]} (readers)
//	PATCH /api/policies/selfService/{id}  {"policy": "allowed|trials|denied"} → 200 ProductPolicyInfo
//	                                       (Global, Billing Administrators)
//	POST  /api/subscriptions/selfService   SubscriptionOrder → 201 SubscriptionInfo (a signed-in
//	                                       user buys for themselves, where the policy allows)

// ProductPolicyInfo is a product's self-service policy.
type ProductPolicyInfo struct {
	SKUID         string `json:"skuId"`
	SKUPartNumber string `json:"skuPartNumber"`
	ProductName   string `json:"productName"`
	Policy        string `json:"policy"`
	DryRun        bool   `json:"dryRun,omitempty"`
}

// PolicyPatch is the body of PATCH /api/policies/selfService/{id}.
type PolicyPatch struct {
	Policy string `json:"policy"`
	DryRun bool   `json:"dryRun,omitempty"`
}

func (s *Server) registerSelfServiceRoutes() {
	s.route("GET /api/policies/selfService", s.listPolicies)
	s.route("PATCH /api/policies/selfService/{id}", s.setPolicy)
	s.route("POST /api/subscriptions/selfService", s.buySelfService)
}

// selfService returns the self-service service, or 501 when the server
// has none.
func (s *Server) selfService() (allot.SelfServiceService, error) {
	if s.svc.SelfService == nil {
		return nil, allot.Errorf(allot.ENOTIMPL, "Self-service purchases are not available on this server.")
	}
	return s.svc.SelfService, nil
}

func (s *Server) policyInfo(pp allot.ProductPolicy) ProductPolicyInfo {
	out := ProductPolicyInfo{SKUID: pp.SKUID, Policy: string(pp.Policy)}
	if sku := s.catalog.SKU(pp.SKUID); sku != nil {
		out.SKUPartNumber, out.ProductName = sku.PartNumber, sku.DisplayName.EN
	}
	return out
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.selfService()
	if err != nil {
		return err
	}
	pols, err := ss.FindSelfServicePolicies(r.Context(), principalFrom(r))
	if err != nil {
		return err
	}
	out := make([]ProductPolicyInfo, len(pols))
	for i, pp := range pols {
		out[i] = s.policyInfo(pp)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

func (s *Server) setPolicy(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.selfService()
	if err != nil {
		return err
	}
	var req PolicyPatch
	if err := s.readSubscriptionBody(w, r, &req, `{"policy": "allowed"}`); err != nil {
		return err
	}
	dry, err := dryRunQuery(r, req.DryRun)
	if err != nil {
		return err
	}
	pol, err := allot.ParseSelfServicePolicy(req.Policy)
	if err != nil {
		return err
	}
	pp, err := ss.SetSelfServicePolicy(r.Context(), principalFrom(r), r.PathValue("id"), pol, dry)
	if err != nil {
		return err
	}
	out := s.policyInfo(*pp)
	out.DryRun = dry
	return writeJSON(w, http.StatusOK, out)
}

// buySelfService answers 201 with the subscription the user bought for
// themselves, 200 for a dry run.
func (s *Server) buySelfService(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.selfService()
	if err != nil {
		return err
	}
	p := principalFrom(r)
	if p.UserID == "" || p.AppID != "" {
		return &allot.Error{Code: allot.EFORBIDDEN, Message: "Only a signed-in user buys a subscription for themselves."}
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req SubscriptionOrder
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest(`The body must be {"skuId": "ENTERPRISEPACK", "quantity": 5, "isTrial": true}: ` + jsonErrorText(err))
	}
	dry, err := dryRunQuery(r, req.DryRun)
	if err != nil {
		return err
	}
	sub, err := ss.BuySelfService(r.Context(), p,
		allot.SubscriptionPurchase{SKU: req.SKU, Quantity: req.Quantity, Term: req.TermDuration, Trial: req.IsTrial, DryRun: dry})
	if err != nil {
		return err
	}
	return s.writePurchase(w, sub, dry)
}
