package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.SubscriptionService = (*DB)(nil)

const subscriptionColumns = `subscription_id, tenant_id, sku_id, status, quantity, is_trial, recurring, owner_type, purchased_by, created_at, next_lifecycle_at, term, commitment_end_at, cancellable_until, trial_extended`

// errDryRun rolls back the transaction of a dry run once it has checked
// everything a real change would.
var errDryRun = errors.New("dry run")

// CreateSubscription implements allot.SubscriptionService.
func (db *DB) CreateSubscription(ctx context.Context, p allot.Principal, s *allot.Subscription) error {
	if err := allot.Authorize(p, allot.ActionManageSubscriptions); err != nil {
		return err
	}
	s.SetDefaults()
	if err := s.Validate(db.catalog); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		s.TenantID = p.TenantID
		if s.ID == "" {
			s.ID = db.newID()
		}
		if s.CreatedAt.IsZero() {
			s.CreatedAt = tx.now
		}
		if s.SelfService() {
			if _, err := tx.findUser(ctx, p.TenantID, s.PurchasedBy, false); err != nil {
				return err
			}
		}
		return tx.createSubscription(ctx, p, s)
	})
}

// createSubscription writes a new subscription, adds its units to its seat
// pool (whose row it locks first, so that concurrent purchases of one SKU
// each count the other) and audits it.
func (tx *Tx) createSubscription(ctx context.Context, p allot.Principal, s *allot.Subscription) error {
	if err := tx.lockPool(ctx, s.TenantID, s); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (`+subscriptionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		s.ID, s.TenantID, s.SKUID, string(s.Status), s.Quantity, s.IsTrial, s.RecurringBilling, s.OwnerType, s.PurchasedBy,
		micros(s.CreatedAt), micros(s.NextLifecycleAt), s.Term, micros(s.CommitmentEndAt), micros(s.CancellableUntil), s.TrialExtended)
	if err != nil {
		return err
	}
	if _, err := tx.refreshPool(ctx, p.TenantID, s); err != nil {
		return err
	}
	tx.touchPools(p.TenantID)
	return tx.audit(ctx, p, auditEvent{action: allot.AuditSubscriptionCreate, targetType: "subscription", targetID: s.ID, skuID: s.SKUID, after: subscriptionJSON(s)})
}

// UpdateSubscription implements allot.SubscriptionService.
func (db *DB) UpdateSubscription(ctx context.Context, p allot.Principal, id string, upd allot.SubscriptionUpdate) (*allot.Subscription, error) {
	if err := allot.Authorize(p, allot.ActionManageSubscriptions); err != nil {
		return nil, err
	}
	var out *allot.Subscription
	err := db.update(ctx, func(tx *Tx) error {
		s, err := tx.findSubscription(ctx, p.TenantID, id, true)
		if err != nil {
			return err
		}
		// The pool's row is locked before its subscriptions are read, so
		// that concurrent changes to subscriptions of one SKU each see the
		// other's quantity and assignments wait for the new capacity.
		if err := tx.lockPool(ctx, p.TenantID, s); err != nil {
			return err
		}
		before := subscriptionJSON(s)
		if err := allot.PlanSubscriptionUpdate(db.catalog, p, s, upd, tx.now); err != nil {
			return err
		}
		if err := tx.writeSubscription(ctx, s); err != nil {
			return err
		}
		sp, err := tx.refreshPool(ctx, p.TenantID, s)
		if err != nil {
			return err
		}
		if err := allot.CheckCapacity(db.catalog, p, s, sp); err != nil {
			return err
		}
		out = s
		if upd.DryRun {
			return errDryRun
		}
		tx.touchPools(p.TenantID)
		return tx.audit(ctx, p, auditEvent{action: allot.AuditSubscriptionUpdate, targetType: "subscription", targetID: s.ID, skuID: s.SKUID, before: before, after: subscriptionJSON(s)})
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return out, err
}

// writeSubscription stores every field of s that changes over its life.
func (tx *Tx) writeSubscription(ctx context.Context, s *allot.Subscription) error {
	_, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = $3, quantity = $4, recurring = $5, next_lifecycle_at = $6,
		is_trial = $7, term = $8, commitment_end_at = $9, cancellable_until = $10, trial_extended = $11 WHERE tenant_id = $1 AND subscription_id = $2`,
		s.TenantID, s.ID, string(s.Status), s.Quantity, s.RecurringBilling, micros(s.NextLifecycleAt),
		s.IsTrial, s.Term, micros(s.CommitmentEndAt), micros(s.CancellableUntil), s.TrialExtended)
	return err
}

// BuySubscription implements allot.SubscriptionService.
func (db *DB) BuySubscription(ctx context.Context, p allot.Principal, pu allot.SubscriptionPurchase) (*allot.Subscription, error) {
	if err := allot.Authorize(p, allot.ActionManageSubscriptions); err != nil {
		return nil, err
	}
	var out *allot.Subscription
	err := db.update(ctx, func(tx *Tx) error {
		s, err := pu.Subscription(db.catalog, tx.now)
		if err != nil {
			return err
		}
		s.ID, s.TenantID = db.newID(), p.TenantID
		out = s
		if pu.DryRun {
			return nil
		}
		return tx.createSubscription(ctx, p, s)
	})
	return out, err
}

// lockPool locks the row of the seat pool s belongs to, creating it empty
// if the SKU has none yet.
func (tx *Tx) lockPool(ctx context.Context, tenantID string, s *allot.Subscription) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO seat_pools (tenant_id, sku_id, pool, purchased_by, capacity, consumed) VALUES ($1, $2, $3, $4, 0, 0)
		ON CONFLICT (tenant_id, sku_id, pool) DO UPDATE SET capacity = seat_pools.capacity`,
		tenantID, s.SKUID, s.Pool(), s.PurchasedBy)
	return err
}

// refreshPool stores the capacity of the pool s belongs to, computed by
// allot.SeatPools from the subscriptions of its SKU, and returns the pool
// with its consumed counter.
func (tx *Tx) refreshPool(ctx context.Context, tenantID string, s *allot.Subscription) (allot.SeatPool, error) {
	subs, err := tx.findSubscriptions(ctx, tenantID, s.SKUID)
	if err != nil {
		return allot.SeatPool{}, err
	}
	sp, _ := allot.FindPool(allot.SeatPools(subs)[s.SKUID], s.Pool())
	err = tx.QueryRowContext(ctx, `INSERT INTO seat_pools (tenant_id, sku_id, pool, purchased_by, capacity, consumed) VALUES ($1, $2, $3, $4, $5, 0)
		ON CONFLICT (tenant_id, sku_id, pool) DO UPDATE SET capacity = excluded.capacity RETURNING consumed`,
		tenantID, s.SKUID, sp.SubscriptionID, sp.PurchasedBy, sp.Capacity).Scan(&sp.Consumed)
	return sp, err
}

// FindSubscriptionByID implements allot.SubscriptionService.
func (db *DB) FindSubscriptionByID(ctx context.Context, p allot.Principal, id string) (*allot.Subscription, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	var s *allot.Subscription
	err := db.view(ctx, func(tx *Tx) (err error) {
		s, err = tx.findSubscription(ctx, p.TenantID, id, false)
		return err
	})
	return s, err
}

func (tx *Tx) findSubscription(ctx context.Context, tenantID, id string, lock bool) (*allot.Subscription, error) {
	q := `SELECT ` + subscriptionColumns + ` FROM subscriptions WHERE tenant_id = $1 AND subscription_id = $2`
	if lock {
		q += tx.db.d.forUpdate
	}
	s, err := scanSubscription(tx.QueryRowContext(ctx, q, tenantID, strings.ToLower(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &allot.Error{Code: allot.ENOTFOUND, SubscriptionID: id,
			Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}
	}
	return s, err
}

// FindSubscriptions implements allot.SubscriptionService.
func (db *DB) FindSubscriptions(ctx context.Context, p allot.Principal) ([]*allot.Subscription, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	var subs []*allot.Subscription
	err := db.view(ctx, func(tx *Tx) (err error) {
		subs, err = tx.findSubscriptions(ctx, p.TenantID, "")
		return err
	})
	return subs, err
}

// findSubscriptions returns the tenant's subscriptions, of one SKU unless
// skuID is "".
func (tx *Tx) findSubscriptions(ctx context.Context, tenantID, skuID string) ([]*allot.Subscription, error) {
	q, args := `SELECT `+subscriptionColumns+` FROM subscriptions WHERE tenant_id = $1`, []any{tenantID}
	if skuID != "" {
		q, args = q+` AND sku_id = $2`, append(args, skuID)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY created_at, subscription_id`, args...)
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
	return subs, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanSubscription(row scanner) (*allot.Subscription, error) {
	var s allot.Subscription
	var status string
	var created, next, end, cancel int64
	if err := row.Scan(&s.ID, &s.TenantID, &s.SKUID, &status, &s.Quantity, &s.IsTrial, &s.RecurringBilling,
		&s.OwnerType, &s.PurchasedBy, &created, &next, &s.Term, &end, &cancel, &s.TrialExtended); err != nil {
		return nil, err
	}
	s.Status = allot.SubscriptionStatus(status)
	s.CreatedAt, s.NextLifecycleAt = fromMicros(created), fromMicros(next)
	s.CommitmentEndAt, s.CancellableUntil = fromMicros(end), fromMicros(cancel)
	return &s, nil
}

// FindSubscribedSKUs implements allot.SubscriptionService. It reads the
// subscriptions and the maintained seat counters, never the assignments.
func (db *DB) FindSubscribedSKUs(ctx context.Context, p allot.Principal) ([]*allot.SubscribedSKU, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	var out []*allot.SubscribedSKU
	err := db.view(ctx, func(tx *Tx) error {
		subs, err := tx.findSubscriptions(ctx, p.TenantID, "")
		if err != nil {
			return err
		}
		pools, err := tx.findPools(ctx, p.TenantID, nil)
		if err != nil {
			return err
		}
		out = allot.AggregateSKUs(db.catalog, p.TenantID, subs, pools)
		return nil
	})
	return out, err
}

// FindSubscribedSKU implements allot.SubscriptionService.
func (db *DB) FindSubscribedSKU(ctx context.Context, p allot.Principal, skuID string) (*allot.SubscribedSKU, error) {
	all, err := db.FindSubscribedSKUs(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if strings.EqualFold(s.SKU.ID, skuID) || strings.EqualFold(s.SKU.PartNumber, skuID) ||
			strings.EqualFold(p.TenantID+"_"+s.SKU.ID, skuID) {
			return s, nil
		}
	}
	return nil, &allot.Error{Code: allot.ENOTFOUND, SKUID: skuID,
		Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", skuID)}
}

// findPools returns the tenant's seat pools, per SKU, the admin pool first;
// skuIDs limits them to some SKUs when not nil.
func (tx *Tx) findPools(ctx context.Context, tenantID string, skuIDs []string) (map[string][]allot.SeatPool, error) {
	q := `SELECT sku_id, pool, purchased_by, capacity, consumed FROM seat_pools WHERE tenant_id = $1`
	args := []any{tenantID}
	if skuIDs != nil {
		if len(skuIDs) == 0 {
			return map[string][]allot.SeatPool{}, nil
		}
		q += ` AND sku_id IN (` + tx.db.d.placeholders(2, len(skuIDs)) + `)`
		for _, id := range skuIDs {
			args = append(args, id)
		}
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY sku_id, pool`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]allot.SeatPool{}
	for rows.Next() {
		var sku string
		var sp allot.SeatPool
		if err := rows.Scan(&sku, &sp.SubscriptionID, &sp.PurchasedBy, &sp.Capacity, &sp.Consumed); err != nil {
			return nil, err
		}
		out[sku] = append(out[sku], sp)
	}
	return out, rows.Err()
}

func subscriptionJSON(s *allot.Subscription) map[string]any {
	return map[string]any{"skuId": s.SKUID, "status": s.Status, "quantity": s.Quantity, "isTrial": s.IsTrial,
		"recurringBilling": s.RecurringBilling, "ownerType": s.OwnerType, "purchasedBy": s.PurchasedBy, "termDuration": s.Term,
		"commitmentEndDate": optMicros(s.CommitmentEndAt), "nextLifecycleDate": optMicros(s.NextLifecycleAt), "trialExtended": s.TrialExtended}
}

// optMicros is t for an audit event, nil when unknown.
func optMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
