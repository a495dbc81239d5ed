package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/allot-project/allot"
)

// findApp returns the application whose column (app_id or display_lower)
// equals value; sql.ErrNoRows if there is none.
func (tx *Tx) findApp(ctx context.Context, tenantID, column, value string) (*allot.App, error) {
	a := &allot.App{TenantID: tenantID}
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT app_id, display_name, created_at FROM applications WHERE tenant_id = $1 AND `+column+` = $2`,
		tenantID, value).Scan(&a.ID, &a.DisplayName, &created)
	a.CreatedAt = fromMicros(created)
	return a, err
}

// ensureApp returns the application named name, creating it (audited) if
// no application has that name.
func (tx *Tx) ensureApp(ctx context.Context, p allot.Principal, name string) (*allot.App, error) {
	name = strings.TrimSpace(name)
	a, err := tx.findApp(ctx, p.TenantID, "display_lower", strings.ToLower(name))
	if !errors.Is(err, sql.ErrNoRows) {
		return a, err
	}
	a = &allot.App{ID: tx.db.newID(), TenantID: p.TenantID, DisplayName: name, CreatedAt: tx.now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO applications (tenant_id, app_id, display_name, display_lower, created_at) VALUES ($1, $2, $3, $4, $5)`,
		a.TenantID, a.ID, a.DisplayName, strings.ToLower(a.DisplayName), micros(a.CreatedAt)); err != nil {
		return nil, err
	}
	return a, tx.audit(ctx, p, auditEvent{action: allot.AuditAppCreate, targetType: allot.PrincipalApp, targetID: a.ID,
		after: map[string]any{"displayName": a.DisplayName}})
}

// grantAppRole gives the application appID role r and audits it; it
// reports false when the application already held it.
func (tx *Tx) grantAppRole(ctx context.Context, p allot.Principal, appID string, r allot.Role) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO application_roles (tenant_id, app_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		p.TenantID, appID, string(r))
	if n, _ := rowsAffected(res, err); err != nil || n == 0 {
		return false, err
	}
	return true, tx.audit(ctx, p, roleEvent(allot.AuditRoleAssign, allot.PrincipalApp, appID, r))
}

// revokeAppRole takes role r from the application appID and audits it; it
// reports false when the application did not hold it. Applications never
// count as Global Administrators (allot.CheckGlobalAdminKept).
func (tx *Tx) revokeAppRole(ctx context.Context, p allot.Principal, appID string, r allot.Role) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM application_roles WHERE tenant_id = $1 AND app_id = $2 AND role = $3`, p.TenantID, appID, string(r))
	if n, _ := rowsAffected(res, err); err != nil || n == 0 {
		return false, err
	}
	return true, tx.audit(ctx, p, roleEvent(allot.AuditRoleUnassign, allot.PrincipalApp, appID, r))
}

func (tx *Tx) findAppRoles(ctx context.Context, tenantID, appID string) ([]allot.Role, error) {
	return tx.queryRoles(ctx, `SELECT role FROM application_roles WHERE tenant_id = $1 AND app_id = $2 ORDER BY role`, tenantID, appID)
}
