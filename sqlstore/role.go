package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.RoleService = (*DB)(nil)

// AssignRole implements allot.RoleService.
func (db *DB) AssignRole(ctx context.Context, p allot.Principal, userID string, r allot.Role) error {
	if err := authorizeRole(p, r); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, p.TenantID, userID, true)
		if err != nil {
			return err
		}
		_, err = tx.grantUserRole(ctx, p, u, r)
		return err
	})
}

// UnassignRole implements allot.RoleService.
func (db *DB) UnassignRole(ctx context.Context, p allot.Principal, userID string, r allot.Role) error {
	if err := authorizeRole(p, r); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, p.TenantID, userID, true)
		if err != nil {
			return err
		}
		_, err = tx.revokeUserRole(ctx, p, u.ID, r)
		return err
	})
}

// authorizeRole decides, before anything is loaded, whether p may grant or
// revoke role r.
func authorizeRole(p allot.Principal, r allot.Role) error {
	if err := allot.Authorize(p, allot.ActionManageRoles); err != nil {
		return err
	}
	return allot.ValidateRole(r)
}

// grantUserRole gives u role r and audits it; it reports false when u
// already held it (nothing is recorded).
func (tx *Tx) grantUserRole(ctx context.Context, p allot.Principal, u *allot.User, r allot.Role) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO role_assignments (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		p.TenantID, u.ID, string(r))
	if n, _ := rowsAffected(res, err); err != nil || n == 0 {
		return false, err
	}
	return true, tx.audit(ctx, p, roleEvent(allot.AuditRoleAssign, allot.PrincipalUser, u.ID, r))
}

// revokeUserRole takes role r from the user userID, refusing to remove the
// last Global Administrator, and audits it; it reports false when the user
// did not hold the role (nothing is recorded).
func (tx *Tx) revokeUserRole(ctx context.Context, p allot.Principal, userID string, r allot.Role) (bool, error) {
	if r == allot.RoleGlobalAdmin {
		if err := tx.keepGlobalAdmin(ctx, p.TenantID, userID); err != nil {
			return false, err
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE tenant_id = $1 AND user_id = $2 AND role = $3`, p.TenantID, userID, string(r))
	if n, _ := rowsAffected(res, err); err != nil || n == 0 {
		return false, err
	}
	return true, tx.audit(ctx, p, roleEvent(allot.AuditRoleUnassign, allot.PrincipalUser, userID, r))
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func roleEvent(action, targetType, principalID string, r allot.Role) auditEvent {
	return auditEvent{action: action, targetType: targetType, targetID: principalID,
		after: map[string]any{"role": r, "roleDefinitionId": r.Definition().ID}}
}

// keepGlobalAdminOf refuses deleting or blocking the user userID when it is
// the tenant's last active Global Administrator.
func (tx *Tx) keepGlobalAdminOf(ctx context.Context, tenantID, userID string) error {
	roles, err := tx.findRoles(ctx, tenantID, userID)
	if err != nil || !slices.Contains(roles, allot.RoleGlobalAdmin) {
		return err
	}
	return tx.keepGlobalAdmin(ctx, tenantID, userID)
}

// keepGlobalAdmin refuses taking the Global Administrator role from userID
// when no other active one would remain (allot.CheckGlobalAdminKept). It
// first locks the tenant's row, so that such changes serialize per tenant:
// two administrators revoking each other at once cannot leave none. FOR NO
// KEY UPDATE does not block the foreign-key checks of concurrent inserts;
// SQLite's one writer needs no lock.
func (tx *Tx) keepGlobalAdmin(ctx context.Context, tenantID, userID string) error {
	if tx.db.d.rowLocks {
		var id string
		if err := tx.QueryRowContext(ctx, `SELECT tenant_id FROM tenants WHERE tenant_id = $1 FOR NO KEY UPDATE`, tenantID).Scan(&id); err != nil {
			return err
		}
	}
	holders, err := tx.queryUsers(ctx, `SELECT `+userColumns+` FROM users u JOIN role_assignments r ON r.tenant_id = u.tenant_id AND r.user_id = u.user_id
		WHERE u.tenant_id = $1 AND r.role = $2`, tenantID, string(allot.RoleGlobalAdmin))
	if err != nil {
		return err
	}
	return allot.CheckGlobalAdminKept(holders, userID)
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
	return tx.queryRoles(ctx, `SELECT role FROM role_assignments WHERE tenant_id = $1 AND user_id = $2 ORDER BY role`, tenantID, userID)
}

func (tx *Tx) queryRoles(ctx context.Context, q string, args ...any) ([]allot.Role, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
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

// FindRoleAssignments implements allot.RoleService. Users deleted (and so
// restorable) keep their assignments on record but are not listed.
func (db *DB) FindRoleAssignments(ctx context.Context, p allot.Principal, f allot.RoleAssignmentFilter) ([]*allot.RoleAssignment, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	var out []*allot.RoleAssignment
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.findRoleAssignments(ctx, p.TenantID, f)
		return err
	})
	slices.SortFunc(out, func(a, b *allot.RoleAssignment) int {
		if c := slices.Index(allot.Roles, a.Role) - slices.Index(allot.Roles, b.Role); c != 0 {
			return c
		}
		return strings.Compare(a.PrincipalID, b.PrincipalID)
	})
	return out, err
}

func (tx *Tx) findRoleAssignments(ctx context.Context, tenantID string, f allot.RoleAssignmentFilter) ([]*allot.RoleAssignment, error) {
	rows, err := tx.QueryContext(ctx, `SELECT r.user_id, 'user', u.upn, r.role FROM role_assignments r
		JOIN users u ON u.tenant_id = r.tenant_id AND u.user_id = r.user_id AND u.deleted_at IS NULL
		WHERE r.tenant_id = $1 AND ($2 = '' OR r.user_id = $2) AND ($3 = '' OR r.role = $3)
		UNION ALL SELECT r.app_id, 'application', a.display_name, r.role FROM application_roles r
		JOIN applications a ON a.tenant_id = r.tenant_id AND a.app_id = r.app_id
		WHERE r.tenant_id = $1 AND ($2 = '' OR r.app_id = $2) AND ($3 = '' OR r.role = $3)`,
		tenantID, strings.ToLower(f.PrincipalID), string(f.Role))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*allot.RoleAssignment
	for rows.Next() {
		a := &allot.RoleAssignment{}
		if err := rows.Scan(&a.PrincipalID, &a.PrincipalType, &a.PrincipalName, &a.Role); err != nil {
			return nil, err
		}
		a.ID = allot.RoleAssignmentID(a.Role, a.PrincipalID)
		out = append(out, a)
	}
	return out, rows.Err()
}

// CreateRoleAssignment implements allot.RoleService.
func (db *DB) CreateRoleAssignment(ctx context.Context, p allot.Principal, principalID string, r allot.Role) (*allot.RoleAssignment, error) {
	if err := authorizeRole(p, r); err != nil {
		return nil, err
	}
	var out *allot.RoleAssignment
	err := db.update(ctx, func(tx *Tx) error {
		a, err := tx.findPrincipal(ctx, p.TenantID, principalID)
		if err != nil {
			return err
		}
		var granted bool
		if a.PrincipalType == allot.PrincipalUser {
			granted, err = tx.grantUserRole(ctx, p, &allot.User{ID: a.PrincipalID}, r)
		} else {
			granted, err = tx.grantAppRole(ctx, p, a.PrincipalID, r)
		}
		if err == nil && !granted {
			return &allot.Error{Code: allot.ECONFLICT, UserID: a.PrincipalID, Field: "roleDefinitionId", Value: r.Definition().ID,
				Message: "A conflicting object with one or more of the specified property values is present in the directory: " + a.PrincipalName + " already holds the role " + string(r) + "."}
		}
		a.Role, a.ID = r, allot.RoleAssignmentID(r, a.PrincipalID)
		out = a
		return err
	})
	return out, err
}

// findPrincipal returns the active user (id or userPrincipalName, its row
// locked) or else the application with the id, as an assignment without a
// role. Returns ENOTFOUND.
func (tx *Tx) findPrincipal(ctx context.Context, tenantID, id string) (*allot.RoleAssignment, error) {
	u, err := tx.findUser(ctx, tenantID, id, true)
	if err == nil {
		return &allot.RoleAssignment{PrincipalID: u.ID, PrincipalType: allot.PrincipalUser, PrincipalName: u.UserPrincipalName}, nil
	} else if allot.ErrorCode(err) != allot.ENOTFOUND {
		return nil, err
	}
	app, appErr := tx.findApp(ctx, tenantID, "app_id", strings.ToLower(strings.TrimSpace(id)))
	if errors.Is(appErr, sql.ErrNoRows) {
		return nil, err
	} else if appErr != nil {
		return nil, appErr
	}
	return &allot.RoleAssignment{PrincipalID: app.ID, PrincipalType: allot.PrincipalApp, PrincipalName: app.DisplayName}, nil
}

// DeleteRoleAssignment implements allot.RoleService.
func (db *DB) DeleteRoleAssignment(ctx context.Context, p allot.Principal, id string) error {
	if err := allot.Authorize(p, allot.ActionManageRoles); err != nil {
		return err
	}
	r, principalID, err := allot.ParseRoleAssignmentID(id)
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		a, err := tx.findPrincipal(ctx, p.TenantID, principalID)
		if allot.ErrorCode(err) == allot.ENOTFOUND {
			return allot.RoleAssignmentNotFound(id) // the assignment's, not the principal's
		} else if err != nil {
			return err
		}
		var revoked bool
		if a.PrincipalType == allot.PrincipalUser {
			revoked, err = tx.revokeUserRole(ctx, p, a.PrincipalID, r)
		} else {
			revoked, err = tx.revokeAppRole(ctx, p, a.PrincipalID, r)
		}
		if err == nil && !revoked {
			return allot.RoleAssignmentNotFound(id)
		}
		return err
	})
}
