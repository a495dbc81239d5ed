package sqlstore

import (
	"context"

	"github.com/allot-project/allot"
)

// purgeCandidate is a user deleted longer ago than the retention, as the
// purge found it.
type purgeCandidate struct{ tenant, id, upn string }

// purgeCandidates lists, in every tenant, the users deleted before cutoff
// (in microseconds).
func (tx *Tx) purgeCandidates(ctx context.Context, cutoff int64) ([]purgeCandidate, error) {
	rows, err := tx.QueryContext(ctx, `SELECT tenant_id, user_id, upn FROM users WHERE deleted_at IS NOT NULL AND deleted_at < $1 ORDER BY tenant_id, user_id`, cutoff)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []purgeCandidate
	for rows.Next() {
		var v purgeCandidate
		if err := rows.Scan(&v.tenant, &v.id, &v.upn); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// purgeUser removes a candidate for good and audits it, and reports
// whether it did. The DELETE repeats the condition that selected it, so a
// user restored meanwhile stays, and audits only when it removed the row,
// so a user that another transaction purged first is not audited twice.
func (tx *Tx) purgeUser(ctx context.Context, v purgeCandidate, cutoff int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE tenant_id = $1 AND user_id = $2 AND deleted_at IS NOT NULL AND deleted_at < $3`, v.tenant, v.id, cutoff)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	// Its licenses went to deleted_licenses when it was deleted; on
	// SQLite no foreign key would remove any left (migration 0018), nor
	// its version (0019).
	for _, table := range [...]string{"licenses", "user_versions"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE tenant_id = $1 AND user_id = $2`, v.tenant, v.id); err != nil {
			return false, err
		}
	}
	tx.touchGone(v.tenant, v.id)
	p := allot.SystemPrincipal(v.tenant, "purge")
	return true, tx.audit(ctx, p, auditEvent{action: allot.AuditUserPurge, targetType: "user", targetID: v.id, before: map[string]any{"userPrincipalName": v.upn}})
}
