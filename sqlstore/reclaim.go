package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// ReclaimLicenses implements allot.SubscriptionService.
func (db *DB) ReclaimLicenses(ctx context.Context, p allot.Principal, sku string, dryRun bool) (*allot.Reclaim, error) {
	if err := allot.Authorize(p, allot.ActionManageSubscriptions); err != nil {
		return nil, err
	}
	found := db.catalog.FindSKU(strings.TrimSpace(sku))
	if found == nil {
		return nil, &allot.Error{Code: allot.EINVALID, SKUID: sku, Field: "skuId", Value: sku,
			Message: fmt.Sprintf("Unknown product %q: give a skuId or skuPartNumber of the catalog.", sku)}
	}
	var out *allot.Reclaim
	err := db.update(ctx, func(tx *Tx) error {
		r, err := tx.reclaim(ctx, p, found.ID)
		out = r
		if err == nil && dryRun {
			return errDryRun
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if out != nil {
		out.DryRun = dryRun
	}
	return out, err
}

// reclaim plans the reclaim of skuID under its admin pool's lock and
// writes each reduction.
func (tx *Tx) reclaim(ctx context.Context, p allot.Principal, skuID string) (*allot.Reclaim, error) {
	admin := &allot.Subscription{SKUID: skuID, OwnerType: allot.OwnerAdmin}
	if err := tx.lockPool(ctx, p.TenantID, admin); err != nil {
		return nil, err
	}
	subs, err := tx.findSubscriptions(ctx, p.TenantID, skuID)
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, &allot.Error{Code: allot.ENOTFOUND, SKUID: skuID,
			Message: fmt.Sprintf("The organization holds no subscription of %s.", tx.db.catalog.SKU(skuID).DisplayName.EN)}
	}
	pools, err := tx.findPools(ctx, p.TenantID, []string{skuID})
	if err != nil {
		return nil, err
	}
	pool, _ := allot.FindPool(pools[skuID], "")
	r := allot.PlanReclaim(skuID, subs, pool)
	if r.UnusedSince, err = tx.unusedSince(ctx, p.TenantID, skuID, pool); err != nil {
		return nil, err
	}
	for _, c := range r.Changes {
		if _, err := tx.reduce(ctx, p, c); err != nil {
			return r, err
		}
	}
	return r, nil
}

// reduce sets one subscription's quantity as a reclaim planned, checks the
// pool still covers what is assigned, and audits it.
func (tx *Tx) reduce(ctx context.Context, p allot.Principal, c allot.ReclaimChange) (*allot.Subscription, error) {
	s, err := tx.findSubscription(ctx, p.TenantID, c.SubscriptionID, true)
	if err != nil {
		return nil, err
	}
	before := subscriptionJSON(s)
	s.Quantity = c.To
	if err := tx.writeSubscription(ctx, s); err != nil {
		return nil, err
	}
	sp, err := tx.refreshPool(ctx, p.TenantID, s)
	if err != nil {
		return nil, err
	}
	if err := allot.CheckCapacity(tx.db.catalog, p, s, sp); err != nil {
		return nil, err
	}
	tx.touchPools(p.TenantID)
	after := subscriptionJSON(s)
	after["reclaimed"] = c.From - c.To
	return s, tx.audit(ctx, p, auditEvent{action: allot.AuditSubscriptionUpdate, targetType: "subscription", targetID: s.ID, skuID: s.SKUID, before: before, after: after})
}

// unusedSince reads the product's newest audit events (at most
// allot.MaxPage) and returns since when the admin pool's unused seats have
// been unused (allot.UnusedSince); zero when unknown.
func (tx *Tx) unusedSince(ctx context.Context, tenantID, skuID string, pool allot.SeatPool) (time.Time, error) {
	q, args := auditQuery(tenantID, allot.AuditFilter{SKUID: skuID, Limit: allot.MaxPage}, nil)
	events, err := tx.readAuditEvents(ctx, tenantID, q, args)
	if err != nil {
		return time.Time{}, err
	}
	for _, e := range events {
		if e.TargetType == "users" && e.TargetID == "" {
			if err := tx.readAuditSubjects(ctx, e); err != nil {
				return time.Time{}, err
			}
		}
	}
	since, _ := allot.UnusedSince(allot.Seats{Assigned: pool.Consumed, Total: pool.Capacity}, events)
	return since, nil
}
