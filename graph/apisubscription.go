package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// allot's subscription resource, shaped after Microsoft Partner Center's:
//
//	GET   /api/subscriptions        → 200 {"value": [SubscriptionInfo…]}
//	GET   /api/subscriptions/{id}   → 200 SubscriptionInfo
//	POST  /api/subscriptions        SubscriptionOrder → 201 SubscriptionInfo (200 for a dry run)
//	PATCH /api/subscriptions/{id}   SubscriptionPatch → 200 SubscriptionInfo (quantity, auto-renewal,
//	                                 cancel, renew, extend a trial)
//	POST  /api/subscriptions/{id}/takeover  TakeoverRequest → 200 SubscriptionInfo
//	POST  /api/subscriptions/reclaim        ReclaimRequest → 200 ReclaimInfo
//
// Readers read; Billing and Global Administrators change. A dry run
// (dryRun in the body, or ?dryRun=true) is checked as the change would be
// and answers what it would make, writing nothing.

// SubscriptionInfo is a subscription as /api/subscriptions shows it.
// Status is Partner Center's: active (Graph's Enabled), expired (Warning),
// suspended (Suspended), disabled (LockedOut) or deleted (Deleted);
// LifecycleStatus is Graph's name. BillingCycle is monthly or annual after
// TermDuration (P1M or P1Y; "" for subscriptions made before terms).
// OwnerType is Company, or User for a self-service purchase by PurchasedBy.
type SubscriptionInfo struct {
	ID                           string     `json:"id"`
	OfferID                      string     `json:"offerId"`
	OfferName                    string     `json:"offerName"`
	SKUPartNumber                string     `json:"skuPartNumber"`
	Quantity                     int        `json:"quantity"`
	Status                       string     `json:"status"`
	LifecycleStatus              string     `json:"lifecycleStatus"`
	CreationDate                 time.Time  `json:"creationDate"`
	CommitmentEndDate            *time.Time `json:"commitmentEndDate"`
	CancellationAllowedUntilDate *time.Time `json:"cancellationAllowedUntilDate"`
	NextLifecycleDate            *time.Time `json:"nextLifecycleDate"`
	AutoRenewEnabled             bool       `json:"autoRenewEnabled"`
	IsTrial                      bool       `json:"isTrial"`
	TermDuration                 string     `json:"termDuration"`
	BillingCycle                 string     `json:"billingCycle"`
	TrialExtended                bool       `json:"trialExtended,omitempty"`
	OwnerType                    string     `json:"ownerType"`
	PurchasedBy                  string     `json:"purchasedBy,omitempty"`
	DryRun                       bool       `json:"dryRun,omitempty"`
}

// SubscriptionOrder is the body of POST /api/subscriptions: a product by
// SKU (skuId or skuPartNumber), how many licenses, the term (P1M when
// empty) and whether it is a trial.
type SubscriptionOrder struct {
	SKU          string `json:"skuId"`
	Quantity     int    `json:"quantity"`
	TermDuration string `json:"termDuration,omitempty"`
	IsTrial      bool   `json:"isTrial,omitempty"`
	DryRun       bool   `json:"dryRun,omitempty"`
}

// SubscriptionPatch is the body of PATCH /api/subscriptions/{id}: the new
// quantity (more adds licenses, fewer removes them), whether the
// subscription renews at the end of its term, a new status ("deleted"
// cancels within the cancellation window, "active" renews: an expired
// subscription starts a new term, a trial converts to paid, an active one
// has recurring billing turned back on), or extendTrial (allot's own: a
// trial is extended once); absent fields stay.
type SubscriptionPatch struct {
	Quantity         *int    `json:"quantity,omitempty"`
	AutoRenewEnabled *bool   `json:"autoRenewEnabled,omitempty"`
	Status           *string `json:"status,omitempty"`
	ExtendTrial      bool    `json:"extendTrial,omitempty"`
	DryRun           bool    `json:"dryRun,omitempty"`
}

// partnerStatus maps Graph's subscription statuses to Partner Center's.
var partnerStatus = map[allot.SubscriptionStatus]string{
	allot.StatusEnabled: "active", allot.StatusWarning: "expired", allot.StatusSuspended: "suspended",
	allot.StatusLockedOut: "disabled", allot.StatusDeleted: "deleted",
}

// NewSubscriptionInfo describes s, naming its product from c.
func NewSubscriptionInfo(c *allot.Catalog, s *allot.Subscription) SubscriptionInfo {
	si := SubscriptionInfo{ID: s.ID, OfferID: s.SKUID, OfferName: s.SKUID, Quantity: s.Quantity, Status: partnerStatus[s.Status],
		LifecycleStatus: string(s.Status), CreationDate: s.CreatedAt, CommitmentEndDate: optTime(s.CommitmentEndAt),
		CancellationAllowedUntilDate: optTime(s.CancellableUntil), NextLifecycleDate: optTime(s.NextLifecycleAt),
		AutoRenewEnabled: s.RecurringBilling, IsTrial: s.IsTrial, TrialExtended: s.TrialExtended, TermDuration: s.Term, OwnerType: s.OwnerType}
	if sku := c.SKU(s.SKUID); sku != nil {
		si.OfferName, si.SKUPartNumber = sku.DisplayName.EN, sku.PartNumber
	}
	switch s.Term {
	case allot.TermMonth:
		si.BillingCycle = "monthly"
	case allot.TermYear:
		si.BillingCycle = "annual"
	}
	if s.SelfService() {
		si.PurchasedBy = s.PurchasedBy
	}
	return si
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) registerAPISubscriptionRoutes() {
	s.route("GET /api/subscriptions", s.listAPISubscriptions)
	s.route("GET /api/subscriptions/{id}", s.getAPISubscription)
	s.route("POST /api/subscriptions", s.buySubscription)
	s.route("PATCH /api/subscriptions/{id}", s.patchSubscription)
	s.route("POST /api/subscriptions/{id}/takeover", s.takeOverSubscription)
	s.route("POST /api/subscriptions/reclaim", s.reclaimLicenses)
}

// ReclaimRequest is the body of POST /api/subscriptions/reclaim: the
// product (skuId or skuPartNumber) whose unused licenses to stop paying for.
type ReclaimRequest struct {
	SKU    string `json:"skuId"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// ReclaimInfo answers a reclaim: the product, its unused and assigned
// licenses before, since when the unused ones have all been unused (absent
// when unknown or none), how many the reclaim removes and from which
// subscriptions.
type ReclaimInfo struct {
	SKUID         string          `json:"skuId"`
	SKUPartNumber string          `json:"skuPartNumber"`
	ProductName   string          `json:"productName"`
	Unused        int             `json:"unusedLicenses"`
	UnusedSince   *time.Time      `json:"unusedSince,omitempty"`
	Assigned      int             `json:"assignedLicenses"`
	Reclaimed     int             `json:"reclaimedLicenses"`
	Changes       []ReclaimChange `json:"changes"`
	DryRun        bool            `json:"dryRun,omitempty"`
}

// ReclaimChange is one subscription a reclaim reduces.
type ReclaimChange struct {
	ID             string `json:"id"`
	QuantityBefore int    `json:"quantityBefore"`
	Quantity       int    `json:"quantity"`
}

func (s *Server) reclaimLicenses(w http.ResponseWriter, r *http.Request) error {
	var req ReclaimRequest
	if err := s.readSubscriptionBody(w, r, &req, `{"skuId": "ENTERPRISEPACK"}`); err != nil {
		return err
	}
	dry, err := dryRunQuery(r, req.DryRun)
	if err != nil {
		return err
	}
	rc, err := s.svc.Subscriptions.ReclaimLicenses(r.Context(), principalFrom(r), req.SKU, dry)
	if err != nil {
		return err
	}
	out := ReclaimInfo{SKUID: rc.SKUID, Unused: rc.Unused, Assigned: rc.Assigned, Reclaimed: rc.Reclaimed(), Changes: []ReclaimChange{}, DryRun: rc.DryRun}
	if !rc.UnusedSince.IsZero() {
		since := rc.UnusedSince.UTC()
		out.UnusedSince = &since
	}
	if sku := s.catalog.SKU(rc.SKUID); sku != nil {
		out.SKUPartNumber, out.ProductName = sku.PartNumber, sku.DisplayName.EN
	}
	for _, c := range rc.Changes {
		out.Changes = append(out.Changes, ReclaimChange{ID: c.SubscriptionID, QuantityBefore: c.From, Quantity: c.To})
	}
	return writeJSON(w, http.StatusOK, out)
}

// TakeoverRequest is the body of POST /api/subscriptions/{id}/takeover:
// without moveTo the self-service subscription becomes admin-managed;
// with it, its users move to that admin-managed subscription of the same
// product and it is cancelled.
type TakeoverRequest struct {
	MoveTo string `json:"moveTo,omitempty"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// takeOverSubscription answers 200 with the subscription after the
// takeover (or as it would be, for a dry run).
func (s *Server) takeOverSubscription(w http.ResponseWriter, r *http.Request) error {
	var req TakeoverRequest
	if err := s.readSubscriptionBody(w, r, &req, `{"moveTo": "<subscription id>"} or {}`); err != nil {
		return err
	}
	dry, err := dryRunQuery(r, req.DryRun)
	if err != nil {
		return err
	}
	sub, err := s.svc.Subscriptions.TakeOverSubscription(r.Context(), principalFrom(r), r.PathValue("id"), allot.Takeover{MoveTo: req.MoveTo, DryRun: dry})
	if err != nil {
		return err
	}
	si := NewSubscriptionInfo(s.catalog, sub)
	si.DryRun = dry
	return writeJSON(w, http.StatusOK, si)
}

func (s *Server) listAPISubscriptions(w http.ResponseWriter, r *http.Request) error {
	subs, err := s.svc.Subscriptions.FindSubscriptions(r.Context(), principalFrom(r))
	if err != nil {
		return err
	}
	out := make([]SubscriptionInfo, len(subs))
	for i, sub := range subs {
		out[i] = NewSubscriptionInfo(s.catalog, sub)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

func (s *Server) getAPISubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.svc.Subscriptions.FindSubscriptionByID(r.Context(), principalFrom(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewSubscriptionInfo(s.catalog, sub))
}

// buySubscription answers 201 with the new subscription, 200 for a dry run.
func (s *Server) buySubscription(w http.ResponseWriter, r *http.Request) error {
	var req SubscriptionOrder
	if err := s.readSubscriptionBody(w, r, &req, `{"skuId": "ENTERPRISEPACK", "quantity": 5, "termDuration": "P1M", "isTrial": false}`); err != nil {
		return err
	}
	dry, err := dryRunQuery(r, req.DryRun)
	if err != nil {
		return err
	}
	sub, err := s.svc.Subscriptions.BuySubscription(r.Context(), principalFrom(r),
		allot.SubscriptionPurchase{SKU: req.SKU, Quantity: req.Quantity, Term: req.TermDuration, Trial: req.IsTrial, DryRun: dry})
	if err != nil {
		return err
	}
	return s.writePurchase(w, sub, dry)
}

func (s *Server) patchSubscription(w http.ResponseWriter, r *http.Request) error {
	var req SubscriptionPatch
	if err := s.readSubscriptionBody(w, r, &req, `{"quantity": 5, "autoRenewEnabled": true, "status": "active", "extendTrial": false}`); err != nil {
		return err
	}
	dry, err := dryRunQuery(r, req.DryRun)
	if err != nil {
		return err
	}
	upd, err := req.update(dry)
	if err != nil {
		return err
	}
	sub, err := s.svc.Subscriptions.UpdateSubscription(r.Context(), principalFrom(r), r.PathValue("id"), upd)
	if err != nil {
		return err
	}
	si := NewSubscriptionInfo(s.catalog, sub)
	si.DryRun = dry
	return writeJSON(w, http.StatusOK, si)
}

// update turns the body into the store's change, refusing an empty one and
// a status other than Partner Center's active or deleted (Graph's Enabled
// and Deleted are taken too).
func (req SubscriptionPatch) update(dry bool) (allot.SubscriptionUpdate, error) {
	upd := allot.SubscriptionUpdate{Quantity: req.Quantity, RecurringBilling: req.AutoRenewEnabled, ExtendTrial: req.ExtendTrial, DryRun: dry}
	if req.Quantity == nil && req.AutoRenewEnabled == nil && req.Status == nil && !req.ExtendTrial {
		return upd, &allot.Error{Code: allot.EINVALID, Field: "quantity", Message: "Give quantity, autoRenewEnabled, status or extendTrial."}
	}
	if req.Status != nil {
		var st allot.SubscriptionStatus
		switch strings.ToLower(*req.Status) {
		case "active", "enabled":
			st = allot.StatusEnabled
		case "deleted":
			st = allot.StatusDeleted
		default:
			return upd, &allot.Error{Code: allot.EINVALID, Field: "status", Value: *req.Status,
				Message: "status must be active (renew) or deleted (cancel); the other statuses follow from time."}
		}
		upd.Status = &st
	}
	return upd, nil
}

// readSubscriptionBody decides who may change subscriptions before reading
// the body, then decodes it into v, refusing unknown members.
func (s *Server) readSubscriptionBody(w http.ResponseWriter, r *http.Request, v any, example string) error {
	if err := allot.Authorize(principalFrom(r), allot.ActionManageSubscriptions); err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("The body must be " + example + ": " + jsonErrorText(err))
	}
	return nil
}

// dryRunQuery is the dryRun query parameter, or body when absent.
func dryRunQuery(r *http.Request, body bool) (bool, error) {
	q := r.URL.Query().Get("dryRun")
	if q == "" {
		return body, nil
	}
	v, err := strconv.ParseBool(q)
	if err != nil {
		return false, &allot.Error{Code: allot.EINVALID, Field: "dryRun", Value: q, Message: "dryRun must be true or false."}
	}
	return v || body, nil
}

// writePurchase answers a purchase: 201 with the new subscription, or 200
// with the one a dry run would have made.
func (s *Server) writePurchase(w http.ResponseWriter, sub *allot.Subscription, dry bool) error {
	si := NewSubscriptionInfo(s.catalog, sub)
	si.DryRun = dry
	if dry {
		return writeJSON(w, http.StatusOK, si)
	}
	return writeJSON(w, http.StatusCreated, si)
}
