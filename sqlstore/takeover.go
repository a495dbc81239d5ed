package sqlstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/allot-project/allot"
)

// TakeOverSubscription implements allot.SubscriptionService.
func (db *DB) TakeOverSubscription(ctx context.Context, p allot.Principal, id string, t allot.Takeover) (*allot.Subscription, error) {
	if err := allot.Authorize(p, allot.ActionManageSubscriptions); err != nil {
		return nil, err
	}
	var out *allot.Subscription
	err := db.update(ctx, func(tx *Tx) error {
		s, err := tx.takeOver(ctx, p, id, t)
		out = s
		if err == nil && t.DryRun {
			return errDryRun
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return out, err
}

// takeOver does a takeover in tx and returns the subscription after it.
func (tx *Tx) takeOver(ctx context.Context, p allot.Principal, id string, t allot.Takeover) (*allot.Subscription, error) {
	s, err := tx.findSubscription(ctx, p.TenantID, id, true)
	if err != nil {
		return nil, err
	}
	var target *allot.Subscription
	if t.MoveTo != "" {
		if target, err = tx.findSubscription(ctx, p.TenantID, t.MoveTo, true); err != nil {
			return nil, err
		}
	}
	// The admin pool's row before the purchase's: (SKU, pool) order.
	admin := &allot.Subscription{SKUID: s.SKUID, OwnerType: allot.OwnerAdmin}
	for _, x := range []*allot.Subscription{admin, s} {
		if err := tx.lockPool(ctx, p.TenantID, x); err != nil {
			return nil, err
		}
	}
	pools, err := tx.findPools(ctx, p.TenantID, []string{s.SKUID})
	if err != nil {
		return nil, err
	}
	adminPool, _ := allot.FindPool(pools[s.SKUID], "")
	own, _ := allot.FindPool(pools[s.SKUID], s.Pool())
	if err := allot.CheckTakeover(tx.db.catalog, s, target, adminPool, own.Consumed); err != nil {
		return nil, err
	}
	before, pool, purchaser := subscriptionJSON(s), s.Pool(), s.PurchasedBy
	if target == nil {
		s.OwnerType = allot.OwnerAdmin
	} else {
		s.Status, s.RecurringBilling, s.NextLifecycleAt = allot.StatusDeleted, false, time.Time{}
	}
	if err := tx.moveToAdminPool(ctx, p, s, pool); err != nil {
		return nil, err
	}
	after := subscriptionJSON(s)
	after["takenOverBy"], after["movedTo"] = p.Name, t.MoveTo
	return s, tx.audit(ctx, p,
		auditEvent{action: allot.AuditSubscriptionUpdate, targetType: "subscription", targetID: s.ID, skuID: s.SKUID, before: before, after: after},
		auditEvent{action: allot.AuditSubscriptionUpdate, targetType: "user", targetID: purchaser, skuID: s.SKUID,
			before: map[string]any{"selfServiceSubscription": s.ID}, after: map[string]any{"takenOverBy": p.Name, "movedTo": t.MoveTo}})
}

// moveToAdminPool writes s, moves the licenses of its former pool to
// the product's admin pool (each user touched and audited), counts them
// there and drops the former pool's row.
func (tx *Tx) moveToAdminPool(ctx context.Context, p allot.Principal, s *allot.Subscription, pool string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET owner_type = $3 WHERE tenant_id = $1 AND subscription_id = $2`, s.TenantID, s.ID, s.OwnerType); err != nil {
		return err
	}
	if err := tx.writeSubscription(ctx, s); err != nil {
		return err
	}
	holders, err := tx.poolHolders(ctx, s.TenantID, s.SKUID, pool, 0)
	if err != nil {
		return err
	}
	slices.Sort(holders) // user rows locked in id order
	// Deleted users' licenses move too, so that a restore takes its seat
	// from the pool that now backs them.
	for _, table := range []string{"licenses", "deleted_licenses"} {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET pool = '' WHERE tenant_id = $1 AND sku_id = $2 AND pool = $3`, s.TenantID, s.SKUID, pool); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE seat_pools SET consumed = consumed + $3 WHERE tenant_id = $1 AND sku_id = $2 AND pool = ''`, s.TenantID, s.SKUID, len(holders)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM seat_pools WHERE tenant_id = $1 AND sku_id = $2 AND pool = $3`, s.TenantID, s.SKUID, pool); err != nil {
		return err
	}
	admin := &allot.Subscription{SKUID: s.SKUID, OwnerType: allot.OwnerAdmin}
	if _, err := tx.refreshPool(ctx, s.TenantID, admin); err != nil {
		return err
	}
	tx.touchPools(s.TenantID)
	return tx.touchMoved(ctx, p, s, pool, holders)
}

// touchMoved records the new state of each user whose license moved from
// pool to the admin pool, and audits the move.
func (tx *Tx) touchMoved(ctx context.Context, p allot.Principal, s *allot.Subscription, pool string, users []string) error {
	var events []auditEvent
	for _, uid := range users {
		u, err := tx.findUser(ctx, s.TenantID, uid, true)
		if err != nil {
			return err
		}
		if u.Licenses, err = tx.findLicenses(ctx, s.TenantID, uid); err != nil {
			return err
		}
		if err := tx.touch(ctx, u); err != nil {
			return err
		}
		l := u.License(s.SKUID)
		was := *l
		was.SubscriptionID = pool
		events = append(events, licenseEvent(allot.AuditLicenseUpdate, uid, &was, l))
	}
	return tx.audit(ctx, p, events...)
}
