package sqlstore

import (
	"context"

	"github.com/allot-project/allot"
)

// FileRetentionDays implements allot.DataService.
func (db *DB) FileRetentionDays(ctx context.Context, p allot.Principal) (int, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return 0, err
	}
	var days int
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT file_retention_days FROM tenants WHERE tenant_id = $1`, p.TenantID).Scan(&days)
	})
	return days, err
}

// SetFileRetentionDays implements allot.DataService.
func (db *DB) SetFileRetentionDays(ctx context.Context, p allot.Principal, days int) error {
	if err := allot.Authorize(p, allot.ActionManageHolds); err != nil {
		return err
	}
	if err := allot.ValidateFileRetention(days); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		var before int
		if err := tx.QueryRowContext(ctx, `SELECT file_retention_days FROM tenants WHERE tenant_id = $1`+tx.db.d.forUpdate, p.TenantID).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET file_retention_days = $2 WHERE tenant_id = $1`, p.TenantID, days); err != nil {
			return err
		}
		return tx.audit(ctx, p, auditEvent{action: allot.AuditFileRetention, targetType: "tenant", targetID: p.TenantID,
			before: map[string]any{"fileRetentionDays": before}, after: map[string]any{"fileRetentionDays": days}})
	})
}
