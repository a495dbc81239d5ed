package sqlstore

import (
	"context"

	"github.com/allot-project/allot"
)

var _ allot.RoleService = (*DB)(nil)

// AssignRole implements allot.RoleService.
func (db *DB) AssignRole(ctx context.Context, p allot.Principal, userID string, r allot.Role) error {
	return db.changeRole(ctx, p, userID, r, true)
}

// UnassignRole implements allot.RoleService.
func (db *DB) UnassignRole(ctx context.Context, p allot.Principal, userID string, r allot.Role) error {
	return db.changeRole(ctx, p, userID, r, false)
}

func (db *DB) changeRole(ctx context.Context, p allot.Principal, userID string, r allot.Role, assign bool) error {
	if err := allot.Authorize(p, allot.ActionManageRoles); err != nil {
		return err
	}
	if err := allot.ValidateRole(r); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, p.TenantID, userID, true)
		if err != nil {
			return err
		}
		q, action := `DELETE FROM role_assignments WHERE tenant_id = $1 AND user_id = $2 AND role = $3`, allot.AuditRoleUnassign
		if assign {
			q, action = `INSERT INTO role_assignments (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, allot.AuditRoleAssign
		}
		res, err := tx.ExecContext(ctx, q, p.TenantID, u.ID, string(r))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already so: nothing to record
		}
		return tx.audit(ctx, p, auditEvent{action: action, targetType: "user", targetID: u.ID, after: map[string]any{"role": r}})
	})
}

// FindRoles implements allot.RoleService.
func (db *DB) FindRoles(ctx context.Context, p allot.Principal, userID string) ([]allot.Role, error) {
	if err := allot.AuthorizeNamed(p, userID); err != nil {
		return nil, err
	}
	var roles []allot.Role
	err := db.view(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, p.TenantID, userID, false)
		if err != nil {
			return err
		}
		roles, err = tx.findRoles(ctx, p.TenantID, u.ID)
		return err
	})
	return roles, err
}

func (tx *Tx) findRoles(ctx context.Context, tenantID, userID string) ([]allot.Role, error) {
	rows, err := tx.QueryContext(ctx, `SELECT role FROM role_assignments WHERE tenant_id = $1 AND user_id = $2 ORDER BY role`, tenantID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var roles []allot.Role
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		roles = append(roles, allot.Role(r))
	}
	return roles, rows.Err()
}
