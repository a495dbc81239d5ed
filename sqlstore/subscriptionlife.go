package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// lockSubscriptionLifecycle names the lock of the subscription lifecycle
// step (see package lifecycle and tryLock).
const lockSubscriptionLifecycle = "subscription-lifecycle"

// AdvanceSubscriptions moves every subscription of every tenant through
// the lifecycle steps due at now (allot.Subscription.Advance): renewals
// with recurring billing, else Warning, Suspended and Deleted, each audited
// as the system's doing ("lifecycle"). A deletion removes the licenses its
// pool no longer keeps (allot.KeptSeats), the last assigned first, each
// audited. It returns how many transitions it made. It is the
// subscription-lifecycle step of package lifecycle: safe to run from
// several processes at once, each transition made once.
func (db *DB) AdvanceSubscriptions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.update(ctx, func(tx *Tx) error {
		n = 0 // update may run this again
		if ok, err := tx.tryLock(ctx, lockSubscriptionLifecycle); err != nil || !ok {
			return err
		}
		due, err := tx.dueSubscriptions(ctx, now)
		if err != nil {
			return err
		}
		for _, s := range due {
			k, err := tx.advanceSubscription(ctx, s.TenantID, s.ID, now)
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return n, err
}

// dueSubscriptions lists, in every tenant, the subscriptions whose next
// lifecycle date has come, in the order their seat pools are locked
// (tenant, SKU, pool).
func (tx *Tx) dueSubscriptions(ctx context.Context, now time.Time) ([]*allot.Subscription, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE next_lifecycle_at > 0 AND next_lifecycle_at <= $1 AND status IN ($2, $3, $4)`,
		micros(now), string(allot.StatusEnabled), string(allot.StatusWarning), string(allot.StatusSuspended))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var subs []*allot.Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		subs = append(subs, s)
	}
	slices.SortFunc(subs, func(a, b *allot.Subscription) int {
		return strings.Compare(a.TenantID+"/"+a.SKUID+"/"+a.Pool()+"/"+a.ID, b.TenantID+"/"+b.SKUID+"/"+b.Pool()+"/"+b.ID)
	})
	return subs, rows.Err()
}

// advanceSubscription makes the transitions of one subscription due at
// now, read again under its pool's lock, and returns how many it made.
func (tx *Tx) advanceSubscription(ctx context.Context, tenantID, id string, now time.Time) (int, error) {
	s, err := tx.findSubscription(ctx, tenantID, id, true)
	if err != nil {
		return 0, err
	}
	if err := tx.lockPool(ctx, tenantID, s); err != nil {
		return 0, err
	}
	before := subscriptionJSON(s)
	ts := s.Advance(tx.db.catalog.Offer(s.SKUID), now)
	if len(ts) == 0 {
		return 0, nil
	}
	if err := tx.writeSubscription(ctx, s); err != nil {
		return 0, err
	}
	sp, err := tx.refreshPool(ctx, tenantID, s)
	if err != nil {
		return 0, err
	}
	tx.touchPools(tenantID)
	p := allot.SystemPrincipal(tenantID, "lifecycle")
	after := subscriptionJSON(s)
	for i, t := range ts {
		b, a := map[string]any{"status": t.From, "at": t.At.UTC().Format(time.RFC3339)}, map[string]any{"status": t.To, "renewed": t.Renewed}
		if i == 0 {
			b = before
		}
		if i == len(ts)-1 {
			a = after
		}
		if err := tx.audit(ctx, p, auditEvent{action: allot.AuditSubscriptionUpdate, targetType: "subscription", targetID: s.ID, skuID: s.SKUID, before: b, after: a}); err != nil {
			return 0, err
		}
	}
	if s.Status == allot.StatusDeleted {
		return len(ts), tx.removeUnkept(ctx, p, s, sp.Consumed)
	}
	return len(ts), nil
}

// removeUnkept removes, as p, the licenses of the pool of the deleted
// subscription s that its remaining subscriptions do not keep
// (allot.KeptSeats), the most recently assigned first.
func (tx *Tx) removeUnkept(ctx context.Context, p allot.Principal, s *allot.Subscription, consumed int) error {
	subs, err := tx.findSubscriptions(ctx, s.TenantID, s.SKUID)
	if err != nil {
		return err
	}
	excess := consumed - allot.KeptSeats(subs, s.Pool())
	if excess <= 0 {
		return nil
	}
	users, err := tx.poolHolders(ctx, s.TenantID, s.SKUID, s.Pool(), excess)
	if err != nil {
		return err
	}
	slices.Sort(users) // user rows locked in id order
	for _, uid := range users {
		if _, _, err := tx.assign(ctx, p, uid, allot.LicenseChange{Remove: []string{s.SKUID}}); err != nil {
			return err
		}
	}
	return nil
}

// poolHolders returns the ids of the n users who were assigned a license of
// the pool last, of all its holders when n is 0.
func (tx *Tx) poolHolders(ctx context.Context, tenantID, skuID, pool string, n int) ([]string, error) {
	q, args := `SELECT user_id FROM licenses WHERE tenant_id = $1 AND sku_id = $2 AND pool = $3
		ORDER BY assigned_at DESC, user_id DESC`, []any{tenantID, skuID, pool}
	if n > 0 {
		q, args = q+` LIMIT $4`, append(args, n)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
