package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.SelfServiceService = (*DB)(nil)

// FindSelfServicePolicies implements allot.SelfServiceService.
func (db *DB) FindSelfServicePolicies(ctx context.Context, p allot.Principal) ([]allot.ProductPolicy, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	set := map[string]allot.SelfServicePolicy{}
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT sku_id, policy FROM self_service_policies WHERE tenant_id = $1`, p.TenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sku, pol string
			if err := rows.Scan(&sku, &pol); err != nil {
				return err
			}
			set[sku] = allot.SelfServicePolicy(pol)
		}
		return rows.Err()
	})
	out := make([]allot.ProductPolicy, 0, len(db.catalog.SKUs))
	for _, s := range db.catalog.SKUs {
		pol := set[s.ID]
		if pol == "" {
			pol = allot.PolicyDenied
		}
		out = append(out, allot.ProductPolicy{SKUID: s.ID, Policy: pol})
	}
	return out, err
}

// SetSelfServicePolicy implements allot.SelfServiceService.
func (db *DB) SetSelfServicePolicy(ctx context.Context, p allot.Principal, sku string, policy allot.SelfServicePolicy, dryRun bool) (*allot.ProductPolicy, error) {
	if err := allot.Authorize(p, allot.ActionManageSubscriptions); err != nil {
		return nil, err
	}
	found, err := db.findProduct(sku)
	if err != nil {
		return nil, err
	}
	if _, err := allot.ParseSelfServicePolicy(string(policy)); err != nil {
		return nil, err
	}
	out := &allot.ProductPolicy{SKUID: found.ID, Policy: policy}
	if dryRun {
		return out, nil
	}
	return out, db.update(ctx, func(tx *Tx) error {
		before, err := tx.selfServicePolicy(ctx, p.TenantID, found.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO self_service_policies (tenant_id, sku_id, policy) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id, sku_id) DO UPDATE SET policy = excluded.policy`, p.TenantID, found.ID, string(policy)); err != nil {
			return err
		}
		return tx.audit(ctx, p, auditEvent{action: allot.AuditSubscriptionUpdate, targetType: "subscription", targetID: found.ID, skuID: found.ID,
			before: map[string]any{"selfServicePolicy": before}, after: map[string]any{"selfServicePolicy": policy}})
	})
}

// findProduct returns the catalog product named by skuId or
// skuPartNumber, EINVALID for another name.
func (db *DB) findProduct(sku string) (*allot.SKU, error) {
	if found := db.catalog.FindSKU(strings.TrimSpace(sku)); found != nil {
		return found, nil
	}
	return nil, &allot.Error{Code: allot.EINVALID, SKUID: sku, Field: "skuId", Value: sku,
		Message: fmt.Sprintf("Unknown product %q: give a skuId or skuPartNumber of the catalog.", sku)}
}

// selfServicePolicy returns the tenant's policy for a product,
// PolicyDenied when none was set.
func (tx *Tx) selfServicePolicy(ctx context.Context, tenantID, skuID string) (allot.SelfServicePolicy, error) {
	var pol string
	err := tx.QueryRowContext(ctx, `SELECT policy FROM self_service_policies WHERE tenant_id = $1 AND sku_id = $2`, tenantID, skuID).Scan(&pol)
	if errors.Is(err, sql.ErrNoRows) {
		return allot.PolicyDenied, nil
	}
	return allot.SelfServicePolicy(pol), err
}

// BuySelfService implements allot.SelfServiceService.
func (db *DB) BuySelfService(ctx context.Context, p allot.Principal, pu allot.SubscriptionPurchase) (*allot.Subscription, error) {
	if p.UserID == "" || p.AppID != "" {
		return nil, &allot.Error{Code: allot.EFORBIDDEN, Message: "Only a signed-in user buys a subscription for themselves."}
	}
	var out *allot.Subscription
	err := db.update(ctx, func(tx *Tx) error {
		s, err := pu.Subscription(db.catalog, tx.now)
		if err != nil {
			return err
		}
		pol, err := tx.selfServicePolicy(ctx, p.TenantID, s.SKUID)
		if err != nil {
			return err
		}
		if err := allot.CheckSelfServicePurchase(db.catalog.SKU(s.SKUID), pol, pu.Trial); err != nil {
			return err
		}
		s.ID, s.TenantID, s.OwnerType, s.PurchasedBy = db.newID(), p.TenantID, allot.OwnerUser, p.UserID
		out = s
		if pu.DryRun {
			return nil
		}
		return tx.createSubscription(ctx, p, s)
	})
	return out, err
}
